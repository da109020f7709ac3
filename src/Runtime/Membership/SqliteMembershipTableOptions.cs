namespace Hpf.Cluster.Runtime.Membership;

/// <summary>Settings of <see cref="SqliteMembershipTable"/>.</summary>
public sealed record SqliteMembershipTableOptions
{
    /// <summary>
    /// A Microsoft.Data.Sqlite connection string naming the database file, e.g. <c>Data Source=/var/hpf/membership.db</c>.
    /// Keep it apart from the grain-state file: a large state write holds SQLite's single write lock for seconds and
    /// would delay heartbeats queued behind it.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The cluster whose rows this silo reads and writes.</summary>
    public string ClusterId { get; set; } = "";

    /// <summary>How long a statement waits for another process's write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
