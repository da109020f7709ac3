namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A shard was asked for a step or for rows while its parameters are not where the caller believes (it lost them
/// by being re-activated elsewhere, or was rolled back): the coordinator answers by rolling the job back to its
/// last complete checkpoint.
/// </summary>
[GenerateSerializer, Alias("hpf.ShardStateException")]
public sealed class ShardStateException(string message) : InvalidOperationException(message);
