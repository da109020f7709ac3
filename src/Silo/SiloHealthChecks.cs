using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hpf.Cluster.Silo;

/// <summary>
/// The probes an orchestrator asks on the API port, without the API key (they answer only "Healthy" or "Unhealthy"):
/// <c>/alive</c> while the process serves HTTP at all, <c>/health</c> once this silo is an active member of its cluster.
/// </summary>
public static class SiloHealthChecks
{
    public const string AlivePath = "/alive";
    public const string HealthPath = "/health";
    private const string MemberTag = "member";

    public static IServiceCollection AddSiloHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ActiveMemberCheck>("cluster-member", tags: [MemberTag]);
        return services;
    }

    public static WebApplication MapSiloHealthChecks(this WebApplication app)
    {
        // Liveness runs no check: a silo declared dead exits by itself, so a process that answers is one worth keeping.
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(MemberTag) });
        return app;
    }

    /// <summary>Healthy when the cluster's membership lists this silo as active: it has joined and takes grains.</summary>
    private sealed class ActiveMemberCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            return Task.FromResult(status == SiloStatus.Active
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"this silo is {status} in the cluster's membership, not active"));
        }
    }
}
