using Hpf.Cluster.Grains.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Grains;

/// <summary>What a silo needs to host the HPF grains beyond the runtime itself.</summary>
public static class HpfTrainingServiceCollectionExtensions
{
    /// <summary>Registers the job watchdog (enabled unless configured off) and makes the grain classes known.</summary>
    public static IServiceCollection AddHpfTraining(this IServiceCollection services, Action<JobWatchdogOptions>? configureWatchdog = null)
    {
        if (configureWatchdog is not null) services.Configure(configureWatchdog);
        services.AddHostedService<JobWatchdog>();
        return services;
    }
}
