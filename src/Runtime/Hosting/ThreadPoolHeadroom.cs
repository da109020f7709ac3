namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// Keeps thread-pool workers free for socket work while a half-step computes. A shard's step runs on pool workers
/// (one per thread it is given, up to one per core), and the pool lets only as many workers run as its minimum
/// (one per core) before its starvation check adds more, twice a second at best. A push of rows still being written
/// to another silo then waits for the step to end: on two silos of one core each, a 20 MB push of user rows sat
/// behind the sending silo's next item step (about 190 ms) in 6 of 26 iterations, and the receiving silo waited that
/// long, where it otherwise arrived in 20-30 ms. Two more workers than cores let the socket work run beside the step.
/// </summary>
internal static class ThreadPoolHeadroom
{
    /// <summary>Workers beyond one per core.</summary>
    public const int ExtraWorkers = 2;

    /// <summary>Raises the pool's minimum worker count to cores + <see cref="ExtraWorkers"/>; never lowers it.</summary>
    public static void Ensure()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Environment.ProcessorCount + ExtraWorkers;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }
}
