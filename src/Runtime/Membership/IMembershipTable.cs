namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// The shared table through which silos of one cluster agree on who is in it (modelled on Orleans's
/// IMembershipTable). Writes are optimistic: each names the table version (and, for updates, the row etag)
/// it read; a write made against anything stale returns false and changes nothing, so callers re-read and retry.
/// </summary>
public interface IMembershipTable : IAsyncDisposable
{
    /// <summary>The cluster whose rows this table reads and writes; several clusters may share one database.</summary>
    string ClusterId { get; }

    /// <summary>Creates the schema if absent (idempotent, safe from several processes) and this cluster's version row.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>The table version and the one row for <paramref name="address"/>, if it exists.</summary>
    Task<MembershipTableSnapshot> ReadRowAsync(SiloAddress address, CancellationToken cancellationToken);

    /// <summary>Inserts a row if the table is still at <paramref name="expectedVersion"/> and the silo has no row yet.</summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a row if it still has <paramref name="rowETag"/> and the table is still at
    /// <paramref name="expectedVersion"/>. The stored IAmAlive time never moves backwards, so a voter
    /// writing a row it read a moment ago cannot erase a heartbeat made in between.
    /// </summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string rowETag, TableVersion expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Records a heartbeat. Unconditional and without a version bump (as in Orleans): heartbeats are not
    /// membership changes, and bumping on every one would make every vote conflict with them.
    /// </summary>
    Task UpdateIAmAliveAsync(SiloAddress address, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>Deletes every row and the version of this cluster (tests and teardown).</summary>
    Task DeleteClusterAsync(CancellationToken cancellationToken);
}
