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
}
