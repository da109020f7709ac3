using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// Reads of a job's served items that serving and partial fit share: named items' E[β] (and E[log β]) from their
/// shards, Σ_i E[β_i], and a user folded in against them.
/// </summary>
internal static class ServedItems
{
    /// <summary>An item as its shard serves it.</summary>
    public sealed record Row(int Shard, int Local, float[] Expected, float[] ExpectedLog);

    /// <summary>A user's counts folded in: Gamma parameters, the items kept (by shard, local index, with counts), those the model lacks, and y·φ per kept item when asked.</summary>
    public sealed record FoldedUser(float[] Shape, float[] Rate, float[] ActivityRate, int Updates, string[] Unknown, int[][] Seen, float[][] SeenCounts,
        double[][] Statistics);

    /// <summary>The named items that exist, by id, from their shards.</summary>
    public static async Task<Dictionary<string, Row>> RowsAsync(ShardSet shardSet, int factors, IEnumerable<string> items, bool expectedLog, CancellationToken cancellationToken)
    {
        var shards = shardSet.Items;
        var k = factors;
        var byShard = new List<string>[shards.Length];
        for (var j = 0; j < shards.Length; j++) byShard[j] = [];
        foreach (var item in items.Distinct(StringComparer.Ordinal)) byShard[ShardRouting.ShardOf(item, shards.Length)].Add(item);
        var answers = await Task.WhenAll(Enumerable.Range(0, shards.Length).Select(j =>
            byShard[j].Count == 0 ? Task.FromResult(new ServedRows([], [], [])) : shards[j].ServeRows([.. byShard[j]], expectedLog, cancellationToken)));
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        for (var j = 0; j < shards.Length; j++)
        {
            var found = 0;
            for (var n = 0; n < byShard[j].Count; n++)
            {
                var local = answers[j].Local[n];
                if (local < 0) continue;
                rows[byShard[j][n]] = new Row(j, local, answers[j].Expected.AsSpan(found * k, k).ToArray(),
                    expectedLog ? answers[j].ExpectedLog.AsSpan(found * k, k).ToArray() : []);
                found++;
            }
        }
        return rows;
    }

    /// <summary>Σ over the served rows of one side's shards of E[x], per factor.</summary>
    public static async Task<double[]> ColumnSumsAsync(IShardGrain[] shards, int factors, CancellationToken cancellationToken)
    {
        var parts = await Task.WhenAll(shards.Select(s => s.ServedColumnSums(cancellationToken)));
        var sums = new double[factors];
        foreach (var part in parts)
        {
            for (var f = 0; f < sums.Length; f++) sums[f] += part[f];
        }
        return sums;
    }

    /// <summary>
    /// Folds a user's counts in against the served items: duplicates summed, zeros dropped, unknown items left out and
    /// listed; with <paramref name="statistics"/>, also y·φ of each kept item, grouped by item shard as <see cref="FoldedUser.Seen"/>.
    /// </summary>
    /// <param name="groups">A budget job's groups (<see cref="JobModelQueries"/> reads them): each item's group index and B.</param>
    public static async Task<FoldedUser> FoldUserAsync(ShardSet shards, TrainingOptions options, string user, IReadOnlyList<ItemCount> counts, bool statistics,
        CancellationToken cancellationToken, double[]? itemColumnSums = null, (IReadOnlyDictionary<string, int> GroupOf, double[] GroupSums)? groups = null)
    {
        var merged = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var c in counts)
        {
            if (!double.IsFinite(c.Count) || c.Count < 0) throw new ArgumentException($"the count of item '{c.Item}' is {c.Count}; counts must be finite and ≥ 0");
            if (c.Count == 0) continue;
            merged[c.Item] = merged.GetValueOrDefault(c.Item) + c.Count;
        }
        var k = options.Factors;
        var rows = await RowsAsync(shards, k, merged.Keys, expectedLog: true, cancellationToken);
        var known = merged.Where(p => rows.ContainsKey(p.Key)).ToList();
        var elog = new float[known.Count * k];
        var ys = new float[known.Count];
        for (var n = 0; n < known.Count; n++)
        {
            rows[known[n].Key].ExpectedLog.AsSpan().CopyTo(elog.AsSpan(n * k, k));
            ys[n] = (float)known[n].Value;
        }
        var sums = itemColumnSums ?? await ColumnSumsAsync(shards.Items, k, cancellationToken);
        var phi = statistics ? new double[known.Count * k] : null;
        var foldGroups = groups is { } g ? new FoldInGroups([.. known.Select(p => g.GroupOf[p.Key])], g.GroupSums) : null;
        var (shape, rate, activity, updates) = UserFoldIn.Run(user, elog, ys, sums, options, phi, foldGroups);

        var itemShards = shards.Items.Length;
        var seen = new List<int>[itemShards];
        var seenCounts = new List<float>[itemShards];
        var seenStatistics = new List<double>[itemShards];
        for (var j = 0; j < itemShards; j++)
        {
            seen[j] = [];
            seenCounts[j] = [];
            seenStatistics[j] = [];
        }
        for (var n = 0; n < known.Count; n++)
        {
            var row = rows[known[n].Key];
            seen[row.Shard].Add(row.Local);
            seenCounts[row.Shard].Add(ys[n]);
            if (phi is not null) seenStatistics[row.Shard].AddRange(phi.AsSpan(n * k, k).ToArray());
        }
        var unknown = merged.Keys.Where(i => !rows.ContainsKey(i)).ToArray();
        return new FoldedUser(shape, rate, activity, updates, unknown, [.. seen.Select(s => s.ToArray())], [.. seenCounts.Select(s => s.ToArray())],
            [.. seenStatistics.Select(s => s.ToArray())]);
    }
}
