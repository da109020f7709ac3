using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// How a sealed shard's nonzeros reach their counterparts: <see cref="Rows"/> index the gathered table, whose rows
/// come from other shard j at [<see cref="PartStart"/>[j], PartStart[j + 1]); validation-only counterparts (user
/// shards) follow all training rows, at [<see cref="ValidationStart"/>[j], ValidationStart[j + 1]).
/// <see cref="CounterpartLocal"/> is, per gathered training row, its local index at the shard it came from (what a
/// user's seen items are at each item shard, for serving).
/// </summary>
internal sealed record SealedLayout(SparseRows Rows, int[] PartStart, int[] ValidationStart, HeldOutSet Validation, int[] CounterpartLocal)
{
    /// <summary>The other shard a gathered row comes from.</summary>
    public int PartOf(int row) => PartOf(PartStart, row);

    /// <summary>The part of <paramref name="partStart"/> (parts' first rows, then the end) holding <paramref name="row"/>; empty parts are skipped.</summary>
    public static int PartOf(int[] partStart, int row)
    {
        // Few parts (one per shard of the other side): a binary search over their starts.
        int lo = 0, hi = partStart.Length - 2;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (partStart[mid] <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Rows of the gathered E[log] table: the training counterparts.</summary>
    public int TrainingRows => PartStart[^1];

    /// <summary>Rows of the gathered E[x] table: training counterparts, then validation-only ones.</summary>
    public int ExpectedRows => ValidationStart[^1];
}
