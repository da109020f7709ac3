namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// An item shard's part of a budget model's per-group sums as it serves them: Σ over its own items of each group of
/// E[β_s], [groups × K] in the order of the job's groups (ordinal), and how many of its items each group has, so that
/// a group no trained item belongs to can be told from one whose sums are small.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.budget.ServedGroupSums")]
public sealed record ServedGroupSums(double[] Sums, int[] Items);

/// <summary>A group and its score E[x_u]·Σ_{s∈a}E[β_s] (the user's expected total count for the group).</summary>
[GenerateSerializer, Immutable, Alias("hpf.budget.RankedGroup")]
public sealed record RankedGroup(string Group, double Score);

/// <summary>
/// A budget model's groups for a user (or a new user: <paramref name="User"/> null), best first, ties in ordinal group
/// order. <paramref name="FromCheckpoint"/> as for <see cref="RecommendationList"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.budget.GroupRankingList")]
public sealed record GroupRankingList(string Job, string? User, int ServedIteration, bool FromCheckpoint, RankedGroup[] Groups);

/// <summary>The budget model has no such group (no trained item is in it).</summary>
[GenerateSerializer, Alias("hpf.budget.UnknownGroupException")]
public sealed class UnknownGroupException(string job, string group) : Exception($"job '{job}' has no group '{group}'")
{
    [Id(0)]
    public string Group { get; } = group;
}
