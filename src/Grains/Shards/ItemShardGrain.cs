using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>An item shard: β and η of its items and their nonzeros.</summary>
public sealed class ItemShardGrain(IGrainStateStore store, ILogger<ItemShardGrain> logger) : ShardGrain(store, logger), IItemShardGrain
{
    protected override bool IsUserSide => false;
}
