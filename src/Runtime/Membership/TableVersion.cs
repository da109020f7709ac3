namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Version of a cluster's whole membership table. Every membership write names the version it read and
/// succeeds only if the table still has it, then bumps it: this is what makes two silos' concurrent writes
/// safe (one wins, the other re-reads and retries) instead of one silently overwriting the other.
/// </summary>
public sealed record TableVersion(long Version, string ETag);
