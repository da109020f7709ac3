using Hpf.Cluster.Runtime.Placement;

namespace Hpf.Cluster.Grains.Loading;

/// <summary>
/// Which shard a row belongs to: hash(id) mod S, with a hash that is the same in every process, so any silo that
/// receives an upload sends each triplet where every other silo would.
/// </summary>
public static class ShardRouting
{
    public static int ShardOf(string id, int shards) => shards == 1 ? 0 : (int)(StableHash.Of(id) % (ulong)shards);
}
