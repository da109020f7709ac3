namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// Triplets for one shard, seen from its side: <see cref="RowIds"/> are its own rows (users for a user shard,
/// items for an item shard), <see cref="OtherIds"/> the counterparts and <see cref="OtherShards"/> the shard of the
/// other side each counterpart belongs to. Validation triplets go to user shards only.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.TripletChunk")]
public sealed record TripletChunk(DataSetKind Kind, string[] RowIds, string[] OtherIds, ArrayPayload<float> Counts, ArrayPayload<int> OtherShards);

/// <summary>What a shard is, told at seal time: its job, side, number, the shard counts and the training options.</summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardPlan")]
public sealed record ShardPlan(string Job, int Shard, int UserShards, int ItemShards, TrainingOptions Training)
{
    /// <summary>The item → group map of a budget job, for the seal; a sealed shard keeps only its own rows' groups.</summary>
    [Id(5)]
    public ItemGroupTable? Groups { get; init; }
}

/// <summary>A shard after phase 1 of the seal.</summary>
/// <param name="Rows">Distinct row ids.</param>
/// <param name="Nonzeros">Distinct (row, counterpart) pairs, duplicates summed.</param>
/// <param name="Triplets">Training triplets received.</param>
/// <param name="ValidationTriplets">Validation triplets received (user shards).</param>
[GenerateSerializer, Immutable, Alias("hpf.ShardIndexSummary")]
public sealed record ShardIndexSummary(int Rows, long Nonzeros, long Triplets, long ValidationTriplets);

/// <summary>A shard after phase 2 of the seal (validation figures from user shards).</summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardLinkSummary")]
public sealed record ShardLinkSummary(long ValidationNonzeros, long ValidationSkippedUnknownUser, long ValidationSkippedUnknownItem);
