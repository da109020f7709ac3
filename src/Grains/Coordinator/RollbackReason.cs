using Hpf.Cluster.Grains.Shards;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// Why a training attempt was rolled back, in the plain words a job's status, `hpf status` and the jobs page show.
/// Orleans' own messages name message headers and .NET types; the exception itself goes to the silo's log.
/// </summary>
internal static class RollbackReason
{
    /// <returns>The reason, and whether it was the loss of a silo (a call that found its silo gone before the cluster
    /// had declared it dead is one).</returns>
    public static (string Why, bool SiloLost) Of(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: > 0 } aggregate => Of(aggregate.InnerExceptions[0]),
        SiloUnavailableException => ("a call found its silo gone (lost before the cluster declared it dead)", true),
        OrleansMessageRejectionException => ("a silo refused a call", false),
        TimeoutException => ("a call between silos got no answer in time", false),
        ShardStateException shard => (shard.Message, false),
        IOException io => ($"storage could not be read or written: {io.Message}", false),
        OperationCanceledException => ("a call was cancelled (a silo shutting down)", false),
        _ => ("a call between silos failed; the silo's log has the details", false),
    };
}
