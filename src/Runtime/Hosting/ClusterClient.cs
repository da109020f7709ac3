using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// A process that calls grains without hosting any: it places calls with the same view and hashing as the
/// silos and sends every call straight to the owning silo.
/// </summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public ClusterClient(IClusterMembershipView view, ClusterOptions options, ILoggerFactory? loggerFactory = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(view);
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<IOptions<ClusterOptions>>(Options.Create(options));
        services.AddMetrics();
        services.AddSingleton<RuntimeMetrics>();
        services.AddSingleton<SiloTransport>();
        services.AddSingleton(sp => new GrainCallRouter(
            view, sp.GetRequiredService<SiloTransport>(), sp.GetRequiredService<RuntimeMetrics>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>(), sp.GetRequiredService<ILogger<GrainCallRouter>>()));
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainCallRouter>().References);
        _services = services.BuildServiceProvider();
    }

    public IGrainFactory GrainFactory => _services.GetRequiredService<IGrainFactory>();

    public RuntimeMetrics Metrics => _services.GetRequiredService<RuntimeMetrics>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
