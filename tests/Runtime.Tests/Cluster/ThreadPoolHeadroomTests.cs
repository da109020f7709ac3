using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Testing;

namespace Hpf.Cluster.Runtime.Tests.Cluster;

public sealed class ThreadPoolHeadroomTests
{
    [Fact]
    public async Task A_started_silo_leaves_pool_workers_beyond_one_per_core_for_socket_work()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= Environment.ProcessorCount + ThreadPoolHeadroom.ExtraWorkers,
            $"the pool's minimum is {workers} workers on {Environment.ProcessorCount} cores");
    }

    [Fact]
    public void Ensuring_never_lowers_a_higher_minimum()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var higher = Environment.ProcessorCount + ThreadPoolHeadroom.ExtraWorkers + 3;
        try
        {
            ThreadPool.SetMinThreads(Math.Max(workers, higher), completionPorts);
            ThreadPoolHeadroom.Ensure();
            ThreadPool.GetMinThreads(out var after, out _);
            Assert.Equal(Math.Max(workers, higher), after);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }
}
