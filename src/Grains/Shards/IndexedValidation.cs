namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A user shard's validation nonzeros after phase 1 of the seal: rows by rank; counterparts by training rank, or as
/// −(index + 1) into <see cref="OnlyIds"/> for ids that appear in no training nonzero of this shard (resolved with
/// their shards at the link; those that no shard has are unknown items).
/// </summary>
internal sealed record IndexedValidation(int[] Rows, int[] Others, float[] Counts, string[] OnlyIds, int[] OnlyShards, long SkippedUnknownUser);
