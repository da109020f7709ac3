using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Grains.Placement;
using Hpf.Cluster.Grains.Shards;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Storage;

namespace Hpf.Cluster.Grains;

/// <summary>What a silo needs to host the HPF grains beyond Orleans itself; storage is the profile's to add.</summary>
public static class HpfTrainingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the shards' placement, Orleans' binary serializer for grain state (instead of the default JSON, 2.5
    /// times the size and slower), the job watchdog (enabled unless configured off) and the signal of a silo's death.
    /// </summary>
    public static ISiloBuilder AddHpfTraining(this ISiloBuilder silo, Action<JobWatchdogOptions>? configureWatchdog = null)
    {
        silo.AddPlacementDirector<ShardPlacement, ShardPlacementDirector>();
        silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        if (configureWatchdog is not null) silo.Services.Configure(configureWatchdog);
        silo.Services.AddHostedService<JobWatchdog>();
        silo.Services.AddOptions<RowTransferOptions>();
        silo.Services.AddSingleton<SiloLossSignal>();
        silo.Services.AddHostedService(sp => sp.GetRequiredService<SiloLossSignal>());
        return silo;
    }
}
