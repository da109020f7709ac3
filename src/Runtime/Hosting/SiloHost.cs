using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// One silo: a generic host with Kestrel listening for peers and the grain runtime. The <c>Hpf.Silo</c>
/// executable runs one; <see cref="Testing.TestCluster"/> runs several in one process.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ReservedListenPort? _reservedPort;
    private bool _stopped;
    private bool _disposed;

    private SiloHost(WebApplication app, LocalSilo silo, ReservedListenPort? reservedPort)
    {
        _app = app;
        Silo = silo;
        _reservedPort = reservedPort;
    }

    public LocalSilo Silo { get; }

    public SiloAddress Address => Silo.Address;

    public IServiceProvider Services => _app.Services;

    public IGrainFactory GrainFactory => _app.Services.GetRequiredService<IGrainFactory>();

    public RuntimeMetrics Metrics => _app.Services.GetRequiredService<RuntimeMetrics>();

    /// <summary>Number of grains active on this silo.</summary>
    public int ActivationCount => _app.Services.GetRequiredService<ActivationDirectory>().Count;

    /// <summary>True when <paramref name="grainId"/> has an activation on this silo.</summary>
    public bool HasActivation(GrainId grainId) => _app.Services.GetRequiredService<ActivationDirectory>().IsActive(grainId);

    /// <summary>
    /// Builds a silo from <paramref name="builder"/> (whose configuration and logging the caller has set up).
    /// <paramref name="configureMembership"/> registers <see cref="IClusterMembershipView"/> (and storage); it runs
    /// before the runtime is added so the membership services stop after the grains have deactivated.
    /// <paramref name="configureApp"/> maps the host's own endpoints (a client API) beside the runtime's.
    /// </summary>
    public static SiloHost Create(
        WebApplicationBuilder builder,
        SiloEndpointOptions endpoint,
        ClusterOptions cluster,
        Action<IServiceCollection, LocalSilo> configureMembership,
        Action<GrainCollectionOptions>? configureCollection = null,
        Action<WebApplication>? configureApp = null)
    {
        var host = endpoint.AdvertisedHost.Length > 0 ? endpoint.AdvertisedHost
            : endpoint.BindAddress is "*" or "0.0.0.0" ? Environment.MachineName : endpoint.BindAddress;
        ReservedListenPort? reservedPort = null;
        if (endpoint.Port == 0)
        {
            // The silo's address (and so placement) must know the port before Kestrel binds it.
            reservedPort = new ReservedListenPort(SiloKestrel.ListenAddress(endpoint));
            endpoint = new SiloEndpointOptions
            {
                BindAddress = endpoint.BindAddress,
                AdvertisedHost = endpoint.AdvertisedHost,
                Port = reservedPort.Port,
                SiloName = endpoint.SiloName,
            };
            builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = reservedPort.Bind);
        }
        var address = SiloAddress.New(host, endpoint.Port);
        ThreadPoolHeadroom.Ensure();
        var silo = new LocalSilo(address, endpoint.SiloName.Length > 0 ? endpoint.SiloName : $"{host}:{endpoint.Port}");

        builder.WebHost.ConfigureKestrel(kestrel => SiloKestrel.Configure(kestrel, endpoint, cluster));
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, SiloKestrelMemoryPoolFactory>();
        builder.Services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ClusterSecret = cluster.ClusterSecret;
            o.CallTimeout = cluster.CallTimeout;
            o.MaxMessageBytes = cluster.MaxMessageBytes;
            o.CertificatePath = cluster.CertificatePath;
            o.CertificatePassword = cluster.CertificatePassword;
        });
        if (configureCollection is not null)
        {
            builder.Services.Configure(configureCollection);
        }
        builder.Services.AddSingleton(silo);
        configureMembership(builder.Services, silo);
        builder.Services.AddSiloRuntime(silo);

        WebApplication app;
        try
        {
            app = builder.Build();
            app.MapSiloRuntime();
            configureApp?.Invoke(app);
        }
        catch
        {
            reservedPort?.Dispose();
            throw;
        }
        return new SiloHost(app, silo, reservedPort);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app.Services.GetRequiredService<ILogger<SiloHost>>().LogInformation("Silo {Silo} started", Silo.Address);
    }

    /// <summary>Graceful stop: grains deactivate (writing their state), then membership and Kestrel stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Abrupt stop for tests: the host is disposed without being stopped, so no grain deactivates and membership
    /// writes nothing (peers must vote it dead); Kestrel's sockets close.
    /// </summary>
    public async Task KillAsync()
    {
        if (_disposed)
        {
            return;
        }
        _stopped = true;
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_stopped)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _reservedPort?.Dispose();
    }
}
