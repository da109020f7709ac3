namespace Hpf.Cluster.Runtime;

/// <summary>The silo a call reached is shutting down (or gone) and takes no new activations; the caller retries elsewhere.</summary>
public sealed class SiloUnavailableException(string message) : Exception(message);
