namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>A user shard (key <c>{job}/u/{n}</c>): users' θ and ξ, their rows of nonzeros (CSR) and their validation nonzeros.</summary>
public interface IUserShardGrain : IShardGrain;
