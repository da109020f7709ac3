namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The shards of one job, as references carrying their placement hints: pass this around rather than rebuilding
/// references, so every caller reaches each shard where the coordinator placed it.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardSet")]
public sealed record ShardSet(IUserShardGrain[] Users, IItemShardGrain[] Items)
{
    /// <summary>Grain key of a user shard: <c>{job}/u/{n}</c>.</summary>
    public static string UserShardKey(string job, int shard) => $"{job}/u/{shard}";

    /// <summary>Grain key of an item shard: <c>{job}/i/{n}</c>.</summary>
    public static string ItemShardKey(string job, int shard) => $"{job}/i/{shard}";
}
