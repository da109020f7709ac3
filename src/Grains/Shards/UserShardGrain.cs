using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>A user shard: θ and ξ of its users, their nonzeros, and their validation nonzeros.</summary>
public sealed class UserShardGrain(ICheckpointStore store, IOptions<SiloMessagingOptions> messaging, IOptions<RowTransferOptions> transfer,
    IHostApplicationLifetime lifetime, SiloLossSignal siloLoss, ILogger<UserShardGrain> logger)
    : ShardGrain(store, messaging, transfer, lifetime, siloLoss, logger), IUserShardGrain
{
    protected override bool IsUserSide => true;
}
