using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>One two-silo cluster shared by the call tests of a class, so each test does not pay for starting Kestrel twice.</summary>
public sealed class TwoSiloFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public LifecycleJournal Journal { get; } = new();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Cluster = await TestCluster.StartAsync(2, new TestClusterOptions
        {
            CallTimeout = TimeSpan.FromSeconds(10),
            ConfigureServices = (services, _) => services.AddSingleton(Journal),
        }, timeout.Token);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A key whose grain of <typeparamref name="T"/> the cluster places on <paramref name="silo"/>.</summary>
    public string KeyOn<T>(int silo, string prefix = "k") where T : class
    {
        var target = Cluster.Silos[silo].Address;
        var grainType = typeof(T).FullName!;
        for (var i = 0; ; i++)
        {
            var key = prefix + i;
            if (global::Hpf.Cluster.Runtime.Placement.RendezvousPlacement.PickOwner(new GrainId(grainType, key), Cluster.Membership.Snapshot.ActiveSilos) == target)
            {
                return key;
            }
        }
    }
}
