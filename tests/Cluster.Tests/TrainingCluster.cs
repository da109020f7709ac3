using Hpf.Cluster.Grains;
using Hpf.Cluster.Grains.Shards;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// An Orleans in-process test cluster of silos hosting the HPF grains, composed as a silo composes them
/// (<see cref="HpfTrainingServiceCollectionExtensions.AddHpfTraining"/>) over the local profile's storage.
/// </summary>
internal sealed class TrainingCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;

    private TrainingCluster(InProcessTestCluster cluster) => _cluster = cluster;

    public IClusterClient Client => _cluster.Client;

    public IReadOnlyList<InProcessSiloHandle> Silos => _cluster.Silos;

    /// <param name="maxRowBlockBytes">Cut rows into messages of at most this many bytes (the default is 30 MiB).</param>
    /// <param name="configure">Last changes to each silo's services, after the HPF composition.</param>
    public static async Task<TrainingCluster> StartAsync(int silos, ClusterStorage storage, bool watchdog = false, int? maxRowBlockBytes = null,
        Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddHpfTraining(o =>
            {
                o.Enabled = watchdog;
                o.Interval = TimeSpan.FromMilliseconds(200);
            });
            silo.AddFileGrainStorage(HpfStorage.StateProvider, o => o.Directory = storage.StateDirectory);
            // One store for all silos, as one directory (or one blob container) is for a real cluster.
            silo.Services.AddSingleton(storage.Checkpoints);
            // A step waits this long for pushes from a silo that died under it before the coordinator rolls back.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            if (maxRowBlockBytes is { } bytes) silo.Services.Configure<RowTransferOptions>(o => o.MaxRowBlockBytes = bytes);
            configure?.Invoke(silo);
        });
        builder.ConfigureClient(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(60)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TrainingCluster(cluster);
    }

    /// <summary>Grain calls made from inside a silo, as the silo's HTTP API makes them.</summary>
    public IGrainFactory GrainFactoryOf(InProcessSiloHandle silo) =>
        _cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<IGrainFactory>();

    /// <summary>The silo where the grain is active now, if it is.</summary>
    public async Task<InProcessSiloHandle?> SiloOfAsync(IAddressable grain)
    {
        var id = grain.GetGrainId();
        var statistics = await Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var silo = statistics.FirstOrDefault(s => s.GrainId == id)?.SiloAddress;
        return silo is null ? null : Silos.FirstOrDefault(h => h.SiloAddress.Equals(silo));
    }

    /// <summary>Stops the silo without a word to the others (they declare it dead), as a crash would.</summary>
    public Task KillSiloAsync(InProcessSiloHandle silo) => _cluster.KillSiloAsync(silo);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
