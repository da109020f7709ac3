using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>A user shard: θ and ξ of its users, their nonzeros, and their validation nonzeros.</summary>
public sealed class UserShardGrain(IGrainStateStore store, IOptions<ClusterOptions> cluster, ILogger<UserShardGrain> logger) : ShardGrain(store, cluster, logger), IUserShardGrain
{
    protected override bool IsUserSide => true;
}
