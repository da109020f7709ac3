using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// How a sealed shard's nonzeros reach their counterparts: <see cref="Rows"/> index the gathered table, whose rows
/// come from other shard j at [<see cref="PartStart"/>[j], PartStart[j + 1]); validation-only counterparts (user
/// shards) follow all training rows, at [<see cref="ValidationStart"/>[j], ValidationStart[j + 1]).
/// </summary>
internal sealed record SealedLayout(SparseRows Rows, int[] PartStart, int[] ValidationStart, HeldOutSet Validation)
{
    /// <summary>Rows of the gathered E[log] table: the training counterparts.</summary>
    public int TrainingRows => PartStart[^1];

    /// <summary>Rows of the gathered E[x] table: training counterparts, then validation-only ones.</summary>
    public int ExpectedRows => ValidationStart[^1];
}
