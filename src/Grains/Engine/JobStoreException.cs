namespace Hpf.Cluster.Grains.Engine;

/// <summary>A saved job could not be named, found or read; the message says which job and where.</summary>
[GenerateSerializer, Alias("hpf.JobStoreException")]
public sealed class JobStoreException : Exception
{
    public JobStoreException(JobStoreFailure failure, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
    }

    [Id(0)]
    public JobStoreFailure Failure { get; }
}
