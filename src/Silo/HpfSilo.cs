using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Silo.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hpf.Cluster.Silo;

/// <summary>
/// A silo built by <see cref="HpfSiloBuilder"/>: the runtime's <see cref="SiloHost"/> plus the address of its client
/// API, known once it has started (the API port may be picked by the system).
/// </summary>
public sealed partial class HpfSilo : IAsyncDisposable
{
    private readonly SiloHost _host;
    private readonly string _advertisedHost;
    private readonly string _clusterId;
    private readonly string _membership;
    private readonly string _storage;
    private readonly bool _tls;
    private readonly MembershipAgent _agent;
    private Uri? _apiAddress;

    internal HpfSilo(SiloHost host, string clusterId, string membership, string storage, bool tls)
    {
        _host = host;
        _advertisedHost = host.Address.Host;
        _clusterId = clusterId;
        _membership = membership;
        _storage = storage;
        _tls = tls;
        // Resolved now: the flags below are read after the host (and its container) is disposed.
        _agent = host.Services.GetRequiredService<MembershipAgent>();
    }

    public SiloHost Host => _host;

    public SiloAddress Address => _host.Address;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory GrainFactory => _host.GrainFactory;

    /// <summary>Where clients reach this silo's API, e.g. <c>http://127.0.0.1:11180/</c>.</summary>
    /// <exception cref="InvalidOperationException">The silo has not started.</exception>
    public Uri ApiAddress => _apiAddress ?? throw new InvalidOperationException("The client API's address is known once the silo has started.");

    /// <summary>Cancelled when the cluster declares this silo dead (or it leaves): a silo declared dead stops.</summary>
    public CancellationToken Stopping => _agent.SiloStopping;

    /// <summary>True when the silo stopped because the others voted it dead.</summary>
    public bool IsDeclaredDead => _agent.IsDeclaredDead;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = _host.Services.GetRequiredService<ILogger<HpfSilo>>();
        LogStarting(logger, _host.Address, _clusterId, _membership, _storage, _tls);
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        _apiAddress = FindApiAddress();
        ClientApiLog.Listening(logger, _apiAddress);
    }

    /// <summary>Graceful stop: grains deactivate (writing their state), then membership and the listeners stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>The bound API listener: of Kestrel's two addresses, the one that is not the silo-to-silo port.</summary>
    private Uri FindApiAddress()
    {
        var addresses = _host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var bound = new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            if (bound.Port != _host.Address.Port)
            {
                return new UriBuilder(bound.Scheme, _advertisedHost, bound.Port).Uri;
            }
        }
        throw new InvalidOperationException($"Kestrel reports no client API listener among [{string.Join(", ", addresses)}].");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Silo {Silo} of cluster {ClusterId} starting: membership {Membership}, storage {Storage}, TLS {Tls}")]
    private static partial void LogStarting(ILogger logger, SiloAddress silo, string clusterId, string membership, string storage, bool tls);
}
