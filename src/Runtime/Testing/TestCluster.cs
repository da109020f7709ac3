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
    private readonly MembershipTableView? _tableView;
    private readonly MembershipOptions _protocol = new();

    private TestCluster(TestClusterOptions options)
    {
        _options = options;
        options.ConfigureMembershipProtocol?.Invoke(_protocol);
        IClusterMembershipView clientView;
        if (options.MembershipTable is null)
        {
            // The client is not a silo; it needs an address only because a view names its owner.
            clientView = Membership.ViewFor(new SiloAddress("client", 0, 0));
        }
        else
        {
            _tableView = new MembershipTableView(options.MembershipTable, _protocol.TableRefreshInterval);
            clientView = _tableView;
        }
        _client = new ClusterClient(clientView, ClusterOptions(), options.LoggerProvider is null ? null : LoggerFactory.Create(b => b.AddProvider(options.LoggerProvider)));
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
            if (cluster._tableView is not null)
            {
                await cluster._tableView.StartAsync(cancellationToken).ConfigureAwait(false);
            }
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
            // A test that asks for the logs wants all of them, activations (Debug) included.
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(_options.LoggerProvider);
        }
        var silo = SiloHost.Create(
            builder,
            new SiloEndpointOptions { BindAddress = "127.0.0.1", Port = 0 },
            ClusterOptions(),
            (services, local) =>
            {
                if (_options.MembershipTable is null)
                {
                    services.AddSingleton(Membership.ViewFor(local.Address));
                    services.AddSingleton(Membership);
                    services.AddHostedService<BoardMembershipLeaver>();
                    // The board changes every view at once; the leaver's own short drain covers calls on the wire.
                    services.Configure<SiloShutdownOptions>(o => o.DrainTime = TimeSpan.Zero);
                }
                else
                {
                    // Registered as an instance, so no silo's container disposes the table the others share.
                    services.AddSingleton(_options.MembershipTable);
                    services.AddMembershipAgent(o =>
                    {
                        o.HeartbeatInterval = _protocol.HeartbeatInterval;
                        o.DeathTimeout = _protocol.DeathTimeout;
                        o.TableRefreshInterval = _protocol.TableRefreshInterval;
                        o.NumVotesForDeath = _protocol.NumVotesForDeath;
                        o.SuspicionExpiry = _protocol.SuspicionExpiry;
                        o.MaxWriteAttempts = _protocol.MaxWriteAttempts;
                    });
                    services.Configure<SiloShutdownOptions>(o => o.DrainTime = 2 * _protocol.TableRefreshInterval);
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
        if (_options.MembershipTable is null)
        {
            Membership.Add(silo.Address);
        }
        else
        {
            await WaitForViewsAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        }
        return silo;
    }

    /// <summary>
    /// Waits until every running silo and the client see exactly the running silos as active, so placement is
    /// the same everywhere. With the board this holds at once; with a table it takes a refresh or two (or, after
    /// a kill, until the survivors vote the silo dead).
    /// </summary>
    public async Task WaitForViewsAsync(TimeSpan limit, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        while (true)
        {
            var silos = Silos;
            var expected = silos.Select(s => s.Address).Order().ToList();
            var views = silos.Select(s => s.Services.GetRequiredService<IClusterMembershipView>()).ToList();
            if (_tableView is not null)
            {
                views.Add(_tableView);
            }
            if (views.All(v => v.ActiveSilos.SequenceEqual(expected)))
            {
                return;
            }
            try
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Membership views did not converge on [{string.Join(", ", expected)}] within {limit}.");
            }
        }
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
    /// Abrupt stop: no deactivation, nothing written to membership. The silo stays in the views until the
    /// survivors vote it dead (with a table) or until <see cref="DeclareDead"/> (with the board).
    /// </summary>
    public async Task KillSiloAsync(SiloHost silo)
    {
        Forget(silo);
        await silo.KillAsync().ConfigureAwait(false);
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
            }
        }
        await _client.DisposeAsync().ConfigureAwait(false);
        if (_tableView is not null)
        {
            await _tableView.DisposeAsync().ConfigureAwait(false);
        }
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
        CertificatePath = _options.CertificatePath,
        CertificatePassword = _options.CertificatePassword,
    };
}
