namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Where one shard of a job runs: its key, its side (<c>user</c> or <c>item</c>) and its silo.</summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardLocation")]
public sealed record ShardLocation(string Shard, string Side, string Silo);
