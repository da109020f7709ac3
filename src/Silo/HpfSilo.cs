using Hpf.Cluster.Silo.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hpf.Cluster.Silo;

/// <summary>
/// A silo built by <see cref="HpfSiloBuilder"/>: an ASP.NET Core app hosting Orleans and the client API, plus what
/// callers need once it runs (the API's address, whether it was declared dead).
/// </summary>
public sealed partial class HpfSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _profile;
    private readonly bool _cluster;
    private Uri? _apiAddress;

    internal HpfSilo(WebApplication app, string profile, bool cluster)
    {
        _app = app;
        _profile = profile;
        _cluster = cluster;
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>Calls grains from this process (the console's embedded silo, tests).</summary>
    public IGrainFactory GrainFactory => _app.Services.GetRequiredService<IGrainFactory>();

    /// <summary>This silo's address in the cluster.</summary>
    public SiloAddress Address => _app.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    /// <summary>Where consoles connect to this silo as Orleans clients.</summary>
    public System.Net.IPEndPoint GatewayEndpoint => _app.Services.GetRequiredService<ILocalSiloDetails>().GatewayAddress!.Endpoint;

    /// <summary>Where clients reach this silo's API, e.g. <c>http://127.0.0.1:11180/</c>.</summary>
    /// <exception cref="InvalidOperationException">The silo has not started.</exception>
    public Uri ApiAddress => _apiAddress ?? throw new InvalidOperationException("The client API's address is known once the silo has started.");

    /// <summary>Cancelled when the silo stops: asked to, or declared dead by the others.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>True when the silo stopped because Orleans found it fatally broken (the others declared it dead).</summary>
    public bool IsDeclaredDead => _app.Services.GetRequiredService<SiloDeclaredDead>().Happened;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = _app.Services.GetRequiredService<ILogger<HpfSilo>>();
        await _app.StartAsync(cancellationToken);
        _apiAddress = FindApiAddress();
        LogStarted(logger, Address, _profile, _cluster ? "Azure Storage" : "files");
        ClientApiLog.Listening(logger, _apiAddress);
    }

    /// <summary>Graceful stop: grains deactivate, the silo leaves the cluster, then the listeners stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private Uri FindApiAddress()
    {
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var bound = new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            var host = bound.Host is "0.0.0.0" or "[::]" or "localhost" ? Address.Endpoint.Address.ToString() : bound.Host;
            return new UriBuilder(bound.Scheme, host, bound.Port).Uri;
        }
        throw new InvalidOperationException("Kestrel reports no client API listener.");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Silo {Silo} started, profile {Profile}, state and checkpoints in {Storage}")]
    private static partial void LogStarted(ILogger logger, SiloAddress silo, string profile, string storage);
}
