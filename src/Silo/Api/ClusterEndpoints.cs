using Hpf.Cluster.Runtime.Membership;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hpf.Cluster.Silo.Api;

/// <summary><c>GET /api/cluster</c>: which silo answered and the active silos it sees (what deploy/local-cluster.sh waits for).</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster", (LocalSilo silo, IClusterMembershipView view) =>
            {
                var active = view.ActiveSilos.Select(s => s.ToString()).ToArray();
                return TypedResults.Ok(new ClusterInfo(silo.Address.ToString(), active, active.Length));
            })
            .WithTags("cluster")
            .WithName("GetCluster")
            .WithSummary("The silo that answered and the active silos of its membership view");
        return api;
    }
}
