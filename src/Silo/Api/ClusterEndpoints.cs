using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;

namespace Hpf.Cluster.Silo.Api;

/// <summary><c>GET /api/cluster</c>: which silo answered and the active silos it sees (what deploy/local-cluster.sh waits for).</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster", (ILocalSiloDetails silo, IClusterMembershipService membership) =>
            {
                var active = membership.CurrentSnapshot.Members.Values
                    .Where(m => m.Status == SiloStatus.Active)
                    .Select(m => m.SiloAddress.ToString())
                    .Order(StringComparer.Ordinal)
                    .ToArray();
                return TypedResults.Ok(new ClusterInfo(silo.SiloAddress.ToString(), active, active.Length));
            })
            .WithTags("cluster")
            .WithName("GetCluster")
            .WithSummary("The silo that answered and the active silos of its membership view");
        return api;
    }
}
