using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Testing;

/// <summary>
/// Several silos in one process, each with its own Kestrel on a free loopback port, sharing one membership,
/// plus a client. Silos can be started, stopped gracefully or killed one at a time.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly List<SiloHost> _silos = [];
    private readonly ClusterClient _client;

    private TestCluster(TestClusterOptions options)
    {
        _options = options;
        // The client is not a silo; it needs an address only because a view names its owner.
        _client = new ClusterClient(Membership.ViewFor(new SiloAddress("client", 0, 0)), ClusterOptions(), options.LoggerProvider is null ? null : LoggerFactory.Create(b => b.AddProvider(options.LoggerProvider)));
    }

    public TestMembershipBoard Membership { get; } = new();

    /// <summary>The silos started and not yet stopped or killed.</summary>
    public IReadOnlyList<SiloHost> Silos
    {
        get
        {
            lock (_silos)
            {
                return [.. _silos];
            }
        }
    }

    /// <summary>A grain factory outside every silo; its calls always cross the transport.</summary>
    public IGrainFactory Client => _client.GrainFactory;

    public ClusterClient ClusterClient => _client;

    public static async Task<TestCluster> StartAsync(int siloCount, TestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var cluster = new TestCluster(options ?? new TestClusterOptions());
        try
        {
            for (var i = 0; i < siloCount; i++)
            {
                await cluster.StartSiloAsync(cancellationToken).ConfigureAwait(false);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one more silo and, with the board membership, makes it active in every view.</summary>
    public async Task<SiloHost> StartSiloAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (_options.LoggerProvider is not null)
        {
            builder.Logging.AddProvider(_options.LoggerProvider);
        }
        var silo = SiloHost.Create(
            builder,
            new SiloEndpointOptions { BindAddress = "127.0.0.1", Port = 0 },
            ClusterOptions(),
            (services, local) =>
            {
                if (_options.ConfigureMembership is null)
                {
                    services.AddSingleton(Membership.ViewFor(local.Address));
                    services.AddSingleton(Membership);
                    services.AddHostedService<BoardMembershipLeaver>();
                }
                else
                {
                    _options.ConfigureMembership(services, local);
                }
                _options.ConfigureServices?.Invoke(services, local);
            },
            _options.ConfigureCollection);
        try
        {
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await silo.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        lock (_silos)
        {
            _silos.Add(silo);
        }
        if (_options.ConfigureMembership is null)
        {
            Membership.Add(silo.Address);
        }
        return silo;
    }

    /// <summary>
    /// Graceful stop: the silo's grains deactivate (calls meanwhile wait and retry), then it leaves the view,
    /// then its listener closes.
    /// </summary>
    public async Task StopSiloAsync(SiloHost silo, CancellationToken cancellationToken = default)
    {
        Forget(silo);
        await silo.StopAsync(cancellationToken).ConfigureAwait(false);
        await silo.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Abrupt stop: no deactivation and, with the board membership, the silo stays in the views until
    /// <see cref="DeclareDead"/>, as a crashed silo does until membership votes it out.
    /// </summary>
    public async Task KillSiloAsync(SiloHost silo)
    {
        Forget(silo);
        await silo.KillAsync().ConfigureAwait(false);
        await silo.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Removes a killed silo from the board membership, as the membership protocol would.</summary>
    public void DeclareDead(SiloAddress silo) => Membership.Remove(silo);

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await StopSiloAsync(silo, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Disposal must not leave a silo listening, whatever stopped the graceful path.
                await silo.KillAsync().ConfigureAwait(false);
                await silo.DisposeAsync().ConfigureAwait(false);
            }
        }
        await _client.DisposeAsync().ConfigureAwait(false);
    }

    private void Forget(SiloHost silo)
    {
        lock (_silos)
        {
            _silos.Remove(silo);
        }
    }

    private ClusterOptions ClusterOptions() => new()
    {
        ClusterId = _options.ClusterId,
        ClusterSecret = _options.ClusterSecret,
        CallTimeout = _options.CallTimeout,
    };
}
