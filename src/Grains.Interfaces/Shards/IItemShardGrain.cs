namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>An item shard (key <c>{job}/i/{n}</c>): items' β and η and their columns of nonzeros (CSC).</summary>
[Alias("hpf.IItemShardGrain")]
public interface IItemShardGrain : IShardGrain;
