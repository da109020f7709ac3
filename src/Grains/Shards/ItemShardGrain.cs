using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>An item shard: β and η of its items and their nonzeros.</summary>
public sealed class ItemShardGrain(IGrainStateStore store, IOptions<ClusterOptions> cluster, ILogger<ItemShardGrain> logger) : ShardGrain(store, cluster, logger), IItemShardGrain
{
    protected override bool IsUserSide => false;
}
