using Hpf.Cluster.Grains;
using Hpf.Cluster.Runtime.Storage;
using Hpf.Cluster.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>An in-process TestCluster of silos hosting the HPF grains over one grain state store.</summary>
internal static class TrainingCluster
{
    public static Task<TestCluster> StartAsync(int silos, IGrainStateStore store, bool watchdog = false) =>
        TestCluster.StartAsync(silos, new TestClusterOptions
        {
            CallTimeout = TimeSpan.FromSeconds(60),
            ConfigureServices = (services, _) =>
            {
                // One store for all silos, as PostgreSQL (or one SQLite file) is for a real cluster.
                services.AddSingleton(store);
                services.AddHpfTraining(o =>
                {
                    o.Enabled = watchdog;
                    o.Interval = TimeSpan.FromMilliseconds(200);
                });
            },
        });
}
