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

    /// <summary>
    /// How long the server lets a write's transaction wait for its silo's next statement before it ends the
    /// session. A write holds the state's head row locked; a silo frozen mid-checkpoint would otherwise block the
    /// survivors' writes of the same state (a restored shard's next checkpoint) until it resumed; then its own
    /// write would commit and theirs be refused as a conflict. Between two statements a live write only
    /// serialises one chunk from memory.
    /// </summary>
    public TimeSpan IdleTransactionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
