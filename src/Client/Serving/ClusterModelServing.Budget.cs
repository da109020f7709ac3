using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>The budget model's rankings, answered by the grains (a saved job answers them from its own groups).</summary>
internal sealed partial class ClusterModelServing
{
    /// <param name="user">The user; null for a new user.</param>
    public Task<RecommendationList> RecommendInGroupAsync(string? user, string group, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken) =>
        client.RecommendInGroupAsync(job, user, group, count, includeSeen, pool, cancellationToken);

    /// <param name="user">The user; null for a new user.</param>
    public Task<GroupRankingList> RankGroupsAsync(string? user, int count, CancellationToken cancellationToken) =>
        client.RankGroupsAsync(job, user, count, cancellationToken);
}
