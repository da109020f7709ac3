using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A shard after phase 1 of the seal: its rows in ordinal id order, each row's nonzeros in ordinal order of the
/// counterpart ids (the order the in-process trainer sums them in), and the counterpart ids grouped by the shard
/// that owns them, ready to be resolved into that shard's local indices.
/// </summary>
internal sealed class IndexedShard
{
    public IndexedShard(string[] ids, int[] rowStart, int[] otherRanks, float[] counts, string[] otherIds, int[] otherShards, long triplets, IndexedValidation validation)
    {
        Ids = ids;
        RowStart = rowStart;
        OtherRanks = otherRanks;
        Counts = counts;
        OtherIds = otherIds;
        OtherShards = otherShards;
        Triplets = triplets;
        Validation = validation;
    }

    /// <summary>Row ids in ordinal order: a row's local index is its position here.</summary>
    public string[] Ids { get; }
    public int[] RowStart { get; }
    /// <summary>Per nonzero, the counterpart's rank in <see cref="OtherIds"/>.</summary>
    public int[] OtherRanks { get; }
    public float[] Counts { get; }
    /// <summary>Counterpart ids of the training nonzeros, ordinal order.</summary>
    public string[] OtherIds { get; }
    /// <summary>The shard owning each counterpart, by rank.</summary>
    public int[] OtherShards { get; }
    public long Triplets { get; }
    public IndexedValidation Validation { get; }

    public long Nonzeros => Counts.Length;

    /// <summary>The local index of a row id, or −1.</summary>
    public int IndexOf(string id)
    {
        var i = Array.BinarySearch(Ids, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }

    /// <summary>The training counterpart ids owned by shard <paramref name="shard"/>, ordinal order: what is resolved with it.</summary>
    public string[] OtherIdsOf(int shard)
    {
        var ids = new List<string>();
        for (var r = 0; r < OtherIds.Length; r++)
        {
            if (OtherShards[r] == shard) ids.Add(OtherIds[r]);
        }
        return ids.ToArray();
    }

    /// <summary>The validation-only counterpart ids owned by shard <paramref name="shard"/>, in their index order.</summary>
    public string[] ValidationOnlyIdsOf(int shard)
    {
        var ids = new List<string>();
        for (var v = 0; v < Validation.OnlyIds.Length; v++)
        {
            if (Validation.OnlyShards[v] == shard) ids.Add(Validation.OnlyIds[v]);
        }
        return ids.ToArray();
    }

    /// <summary>
    /// Seal, phase 2, once every counterpart has been resolved: lays the gathered tables out as the other shards
    /// serve them (training rows of shard 0, of shard 1, …, then validation-only rows that were found, shard by shard)
    /// and points every nonzero at its counterpart's row there.
    /// </summary>
    /// <param name="trainingFound">Per other shard, the local index there of each of <see cref="OtherIdsOf"/>.</param>
    /// <param name="validationFound">Per other shard, the local index there of each of <see cref="ValidationOnlyIdsOf"/> (−1: unknown item).</param>
    public SealedLayout Link(int otherShardCount, int[][] trainingFound, int[][] validationFound)
    {
        // Training rows: ranks grouped by shard in rank order, which is what OtherIdsOf sent each shard.
        var partStart = new int[otherShardCount + 1];
        foreach (var shard in OtherShards) partStart[shard + 1]++;
        for (var j = 0; j < otherShardCount; j++) partStart[j + 1] += partStart[j];
        var next = (int[])partStart.Clone();
        var position = new int[OtherIds.Length];
        for (var r = 0; r < OtherIds.Length; r++) position[r] = next[OtherShards[r]]++;
        var others = new int[OtherRanks.Length];
        for (var n = 0; n < others.Length; n++) others[n] = position[OtherRanks[n]];
        var rows = new SparseRows(RowStart, others, Counts);
        var counterpartLocal = new int[OtherIds.Length];
        for (var j = 0; j < otherShardCount; j++) trainingFound[j].AsSpan().CopyTo(counterpartLocal.AsSpan(partStart[j]));

        // Validation-only rows after all training rows, in the order each shard returns the ones it found.
        var validationStart = new int[otherShardCount + 1];
        validationStart[0] = OtherIds.Length;
        var onlyPosition = new int[Validation.OnlyIds.Length];
        Array.Fill(onlyPosition, -1);
        for (var j = 0; j < otherShardCount; j++)
        {
            var at = validationStart[j];
            var found = validationFound[j];
            var k = 0;
            for (var v = 0; v < Validation.OnlyIds.Length; v++)
            {
                if (Validation.OnlyShards[v] != j) continue;
                if (found[k++] >= 0) onlyPosition[v] = at++;
            }
            validationStart[j + 1] = at;
        }

        var users = new List<int>(Validation.Rows.Length);
        var items = new List<int>(Validation.Rows.Length);
        var counts = new List<float>(Validation.Rows.Length);
        var unknownItem = 0;
        for (var j = 0; j < Validation.Rows.Length; j++)
        {
            var o = Validation.Others[j];
            var at = o >= 0 ? position[o] : onlyPosition[-o - 1];
            if (at < 0)
            {
                unknownItem++;
                continue;
            }
            users.Add(Validation.Rows[j]);
            items.Add(at);
            counts.Add(Validation.Counts[j]);
        }
        var heldOut = new HeldOutSet(users.ToArray(), items.ToArray(), counts.ToArray(), checked((int)Validation.SkippedUnknownUser), unknownItem);
        return new SealedLayout(rows, partStart, validationStart, heldOut, counterpartLocal);
    }
}
