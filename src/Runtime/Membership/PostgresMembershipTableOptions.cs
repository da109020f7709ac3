namespace Hpf.Cluster.Runtime.Membership;

/// <summary>Settings of <see cref="PostgresMembershipTable"/>.</summary>
public sealed record PostgresMembershipTableOptions
{
    /// <summary>An Npgsql connection string (Host=...;Username=...;Password=...;Database=...). Never logged.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The cluster whose rows this silo reads and writes; several clusters may share one database.</summary>
    public string ClusterId { get; set; } = "";

    /// <summary>The schema holding the tables (created if absent).</summary>
    public string Schema { get; set; } = "hpf";

    /// <summary>
    /// How long the server lets a membership write's transaction sit waiting for its silo's next statement
    /// before it ends the session (PostgreSQL's <c>idle_in_transaction_session_timeout</c>, set for that
    /// transaction only). A write holds the cluster's version row locked; a silo frozen inside one (a paused VM,
    /// SIGSTOP, a debugger) would otherwise block every other silo's writes, its own death vote among them,
    /// for as long as it stays frozen. A live silo's write has sub-millisecond gaps between its statements, and
    /// one ended by mistake only fails and is retried at the next refresh.
    /// </summary>
    public TimeSpan IdleTransactionTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
