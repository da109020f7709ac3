using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>An item shard: β and η of its items and their nonzeros.</summary>
public sealed class ItemShardGrain(ICheckpointStore store, IOptions<SiloMessagingOptions> messaging, IOptions<RowTransferOptions> transfer,
    IHostApplicationLifetime lifetime, SiloLossSignal siloLoss, ILogger<ItemShardGrain> logger)
    : ShardGrain(store, messaging, transfer, lifetime, siloLoss, logger), IItemShardGrain
{
    protected override bool IsUserSide => false;
}
