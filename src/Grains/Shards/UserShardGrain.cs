using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>A user shard: θ and ξ of its users, their nonzeros, and their validation nonzeros.</summary>
public sealed class UserShardGrain(IGrainStateStore store, ILogger<UserShardGrain> logger) : ShardGrain(store, logger), IUserShardGrain
{
    protected override bool IsUserSide => true;
}
