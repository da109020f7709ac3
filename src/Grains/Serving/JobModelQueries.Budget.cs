using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Shards;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// The budget model's rankings through the grains (docs/console.md, "The budget model"), as a saved job ranks them:
/// a group's items by E[x_u]·E[β_s], and the groups by E[x_u]·Σ_{s∈a}E[β_s], the sums added up from the item shards.
/// </summary>
public sealed partial class JobModelQueries
{
    /// <summary>
    /// The user's top <paramref name="count"/> items of <paramref name="group"/> (a new user's with <paramref name="user"/>
    /// null: ranked by Σ_k E[β_sk]), seen items left out unless <paramref name="includeSeen"/>: plain recommend with the
    /// group's items as the pool.
    /// </summary>
    /// <param name="pool">Rank only those of the group's items that are in it; null: all of them.</param>
    /// <exception cref="UnknownGroupException">No trained item is in that group.</exception>
    /// <exception cref="ArgumentException">None of the group's items is in <paramref name="pool"/>.</exception>
    public async Task<RecommendationList> RecommendInGroupAsync(string job, string? user, string group, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentException.ThrowIfNullOrEmpty(group);
        var served = await JobAsync(job, cancellationToken);
        var table = GroupTableOf(served);
        var inPool = pool is null ? null : new HashSet<string>(pool, StringComparer.Ordinal);
        var items = new List<string>();
        var known = false;
        for (var n = 0; n < table.Items.Length; n++)
        {
            if (!string.Equals(table.Groups[n], group, StringComparison.Ordinal)) continue;
            known = true;
            if (inPool is null || inPool.Contains(table.Items[n])) items.Add(table.Items[n]);
        }
        if (!known) throw new UnknownGroupException(job, group);
        if (items.Count == 0) throw new ArgumentException($"no item of group '{group}' is in the pool", nameof(pool));

        float[] theta;
        int[][]? exclude = null;
        if (user is null)
        {
            theta = new float[served.Factors];
            Array.Fill(theta, 1f);
        }
        else
        {
            var view = await UserAsync(served, user, cancellationToken);
            theta = PredictionFactors(served, view.Theta);
            if (!includeSeen) exclude = view.SeenByItemShard;
        }
        var ranked = await TopAsync(served, theta, count, exclude, [.. items], cancellationToken);
        // Nothing ranked: the user may have seen the whole group, or no trained item is in it, which the saved job
        // (whose groups are its items') reports as no such group; the shards' item counts tell the two apart.
        if (ranked.Length == 0 && !await HasTrainedItemAsync(served, table, group, cancellationToken)) throw new UnknownGroupException(job, group);
        return new RecommendationList(job, user, served.Iteration, served.FromCheckpoint, ranked);
    }

    private static async Task<bool> HasTrainedItemAsync(ServedJob served, ItemGroupTable table, string group, CancellationToken cancellationToken)
    {
        var g = Array.BinarySearch(ShardBudget.Index(table).GroupIds, group, StringComparer.Ordinal);
        var parts = await Task.WhenAll(served.Shards.Items.Select(shard => shard.ServedBudgetGroupSums(cancellationToken)));
        return parts.Any(part => part.Items[g] > 0);
    }

    /// <summary>
    /// The user's top <paramref name="count"/> groups by E[x_u]·Σ_{s∈a}E[β_s] (a new user's with <paramref name="user"/>
    /// null: E[x] all ones), ties in ordinal group order; groups with no trained item are not ranked.
    /// </summary>
    public async Task<GroupRankingList> RankGroupsAsync(string job, string? user, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var served = await JobAsync(job, cancellationToken);
        var (groupIds, _) = ShardBudget.Index(GroupTableOf(served));
        var k = served.Factors;
        float[] x;
        if (user is null)
        {
            x = new float[k];
            Array.Fill(x, 1f);
        }
        else
        {
            x = PredictionFactors(served, (await UserAsync(served, user, cancellationToken)).Theta);
        }

        var (sums, items) = await GroupSumsAsync(served, groupIds.Length, cancellationToken);
        var ranked = new List<RankedGroup>(groupIds.Length);
        for (var g = 0; g < groupIds.Length; g++)
            if (items[g] > 0) ranked.Add(new RankedGroup(groupIds[g], GroupTables.Dot(x, sums.AsSpan(g * k, k))));
        // Highest score first; ties by group id, as the saved job ranks them.
        ranked.Sort((p, q) => q.Score.CompareTo(p.Score) is var c && c != 0 ? c : string.CompareOrdinal(p.Group, q.Group));
        return new GroupRankingList(job, user, served.Iteration, served.FromCheckpoint, [.. ranked.Take(count)]);
    }

    /// <summary>
    /// B, Σ_{s∈a}E[β_s] per group [groups × K], and each group's trained items, added up from the item shards in shard
    /// order, so the result does not depend on which shard answered first.
    /// </summary>
    private static async Task<(double[] Sums, int[] Items)> GroupSumsAsync(ServedJob served, int groups, CancellationToken cancellationToken)
    {
        var parts = await Task.WhenAll(served.Shards.Items.Select(shard => shard.ServedBudgetGroupSums(cancellationToken)));
        var sums = new double[groups * served.Factors];
        var items = new int[groups];
        foreach (var part in parts)
        {
            if (part.Sums.Length != sums.Length || part.Items.Length != items.Length)
                throw new InvalidOperationException($"an item shard of job '{served.Status.Job}' has {part.Items.Length} groups; the job's map has {groups}");
            for (var j = 0; j < sums.Length; j++) sums[j] += part.Sums[j];
            for (var g = 0; g < items.Length; g++) items[g] += part.Items[g];
        }
        return (sums, items);
    }

    /// <summary>What a budget job's fold-in reads besides the items: each item's group index and B.</summary>
    private static async Task<(IReadOnlyDictionary<string, int> GroupOf, double[] GroupSums)> FoldInGroupsAsync(ServedJob served, CancellationToken cancellationToken)
    {
        var (groupIds, groupOf) = ShardBudget.Index(GroupTableOf(served));
        var (sums, _) = await GroupSumsAsync(served, groupIds.Length, cancellationToken);
        return (groupOf, sums);
    }

    /// <summary>The job's item → group map; refused in plain words for a job of another model.</summary>
    private static ItemGroupTable GroupTableOf(ServedJob served)
    {
        var status = served.Status;
        if (status.Spec.Training.Model != ModelKind.Budget || status.Spec.Groups is not { } table)
            throw new ModelNotServableException(status.Job, status.State, $"job '{status.Job}' is an HPF model: it has no groups (train it with --model budget --groups FILE)");
        return table;
    }
}
