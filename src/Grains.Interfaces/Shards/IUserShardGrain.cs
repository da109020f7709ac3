namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>A user shard (key <c>{job}/u/{n}</c>): users' θ and ξ, their rows of nonzeros (CSR) and their validation nonzeros.</summary>
[Alias("hpf.IUserShardGrain")]
public interface IUserShardGrain : IShardGrain;
