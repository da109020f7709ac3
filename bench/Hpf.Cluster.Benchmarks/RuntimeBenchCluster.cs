using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Placement;
using Hpf.Cluster.Runtime.Testing;

namespace Hpf.Cluster.Benchmarks;

/// <summary>Two in-process silos on loopback Kestrel, and references from silo 0 to a grain on each silo.</summary>
internal sealed class RuntimeBenchCluster : IAsyncDisposable
{
    private RuntimeBenchCluster(TestCluster cluster)
    {
        Cluster = cluster;
        var factory = cluster.Silos[0].GrainFactory;
        SameSilo = factory.GetGrain<IRuntimeBenchGrain>(KeyOn(cluster, 0));
        OtherSilo = factory.GetGrain<IRuntimeBenchGrain>(KeyOn(cluster, 1));
    }

    public TestCluster Cluster { get; }

    public IRuntimeBenchGrain SameSilo { get; }

    public IRuntimeBenchGrain OtherSilo { get; }

    public static async Task<RuntimeBenchCluster> StartAsync()
    {
        var cluster = await TestCluster.StartAsync(2, new TestClusterOptions { CallTimeout = TimeSpan.FromMinutes(1) });
        var bench = new RuntimeBenchCluster(cluster);
        await bench.SameSilo.Ping();
        await bench.OtherSilo.Ping();
        return bench;
    }

    private static string KeyOn(TestCluster cluster, int silo)
    {
        var grainType = typeof(IRuntimeBenchGrain).FullName!;
        for (var i = 0; ; i++)
        {
            if (RendezvousPlacement.PickOwner(new GrainId(grainType, "bench" + i), cluster.Membership.Snapshot.ActiveSilos) == cluster.Silos[silo].Address)
            {
                return "bench" + i;
            }
        }
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
