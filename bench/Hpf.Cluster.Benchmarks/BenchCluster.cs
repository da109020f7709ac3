using Hpf.Cluster.Grains;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// N silos of Orleans' in-process test cluster hosting the HPF grains as a silo composes them, with grain state in a
/// temporary directory and checkpoints in memory, and calls made from inside silo 0 as its HTTP API makes them.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;
    private readonly string _directory;

    private BenchCluster(InProcessTestCluster cluster, string directory)
    {
        _cluster = cluster;
        _directory = directory;
    }

    /// <summary>Grain calls from inside silo 0.</summary>
    public IGrainFactory Grains => _cluster.GetSiloServiceProvider(_cluster.Silos[0].SiloAddress).GetRequiredService<IGrainFactory>();

    public static async Task<BenchCluster> StartAsync(int silos)
    {
        var directory = Directory.CreateTempSubdirectory("hpf-bench-").FullName;
        var checkpoints = new InMemoryCheckpointStore();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddHpfTraining(o => o.Enabled = false);
            silo.AddFileGrainStorage(HpfStorage.StateProvider, o => o.Directory = directory);
            silo.Services.AddSingleton<ICheckpointStore>(checkpoints);
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(5));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new BenchCluster(cluster, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
