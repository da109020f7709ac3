using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>The budget model's rankings on a cluster's job: a group's items, and the groups (docs/console.md, "The budget model").</summary>
internal sealed partial class ClusterJobs
{
    /// <param name="user">The user; null for a new user (cold start within the group).</param>
    public Task<RecommendationList> RecommendInGroupAsync(string job, string? user, string group, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.RecommendInGroupAsync(job, user, group, count, includeSeen, pool, cancellationToken);
        });

    /// <param name="user">The user; null for a new user.</param>
    public Task<GroupRankingList> RankGroupsAsync(string job, string? user, int count, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.RankGroupsAsync(job, user, count, cancellationToken);
        });
}
