namespace Hpf.Cluster.Runtime.Storage;

/// <summary>Settings of <see cref="PostgresGrainStateStore"/>.</summary>
public sealed record PostgresGrainStateStoreOptions
{
    /// <summary>An Npgsql connection string (Host=...;Username=...;Password=...;Database=...). Never logged.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The schema holding the tables (created if absent).</summary>
    public string Schema { get; set; } = "hpf";

    /// <summary>Size of the rows a state is cut into: the most of a state held in memory at once.</summary>
    public int ChunkSize { get; set; } = 4 << 20;
}
