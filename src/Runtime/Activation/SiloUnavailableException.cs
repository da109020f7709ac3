namespace Hpf.Cluster.Runtime;

/// <summary>The silo a call reached is shutting down (or gone) and takes no new activations; the caller retries elsewhere.</summary>
public sealed class SiloUnavailableException : Exception
{
    public SiloUnavailableException(string message)
        : base(message)
    {
    }

    public SiloUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
