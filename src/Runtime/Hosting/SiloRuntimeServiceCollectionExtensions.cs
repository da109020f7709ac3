using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>Registers the grain runtime of a silo, or of a client that only calls grains.</summary>
public static class SiloRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// The silo runtime: activation directory, idle collection, placement, transport and the call handler.
    /// Membership must be registered separately as <see cref="IClusterMembershipView"/> (whose
    /// <see cref="IClusterMembershipView.Self"/> must be <paramref name="silo"/>).
    /// </summary>
    public static IServiceCollection AddSiloRuntime(this IServiceCollection services, LocalSilo silo)
    {
        services.TryAddSingleton(silo);
        services.AddOptions<ClusterOptions>();
        services.AddOptions<GrainCollectionOptions>();
        services.AddOptions<SiloShutdownOptions>();
        services.AddMetrics();
        services.TryAddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<ActivationDirectory>();
        services.TryAddSingleton<SiloTransport>();
        services.TryAddSingleton<ClusterSecretValidator>();
        services.TryAddSingleton(sp => new GrainCallRouter(
            sp.GetRequiredService<IClusterMembershipView>(),
            sp.GetRequiredService<SiloTransport>(),
            sp.GetRequiredService<RuntimeMetrics>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>(),
            sp.GetRequiredService<ILogger<GrainCallRouter>>(),
            sp.GetRequiredService<ActivationDirectory>()));
        services.TryAddSingleton<IGrainFactory>(sp =>
        {
            var factory = sp.GetRequiredService<GrainCallRouter>().References;
            sp.GetRequiredService<ActivationDirectory>().GrainFactory = factory;
            return factory;
        });
        services.TryAddSingleton<SiloCallHandler>();
        // Grains deactivate in the hosts's "stopping" phase, before Kestrel and the other hosted services stop.
        services.AddHostedService<SiloShutdown>();
        services.AddHostedService<ActivationCollector>();
        return services;
    }

    /// <summary>
    /// Readies the silo to serve calls: resolving the grain factory wires it into the activation directory before
    /// the first call arrives. The silo port itself is served by <see cref="SiloCallHandler"/> (see <see cref="SiloKestrel"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapSiloRuntime(this IEndpointRouteBuilder endpoints)
    {
        _ = endpoints.ServiceProvider.GetRequiredService<IGrainFactory>();
        return endpoints;
    }
}
