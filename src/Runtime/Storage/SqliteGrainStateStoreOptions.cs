namespace Hpf.Cluster.Runtime.Storage;

/// <summary>Settings of <see cref="SqliteGrainStateStore"/>.</summary>
public sealed record SqliteGrainStateStoreOptions
{
    /// <summary>Directory of <c>grain-state.db</c>, used when <see cref="ConnectionString"/> is empty.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>A Microsoft.Data.Sqlite connection string; overrides <see cref="DataDirectory"/>. Never logged.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Size of the rows a state is cut into: the most of a state held in memory at once.</summary>
    public int ChunkSize { get; set; } = 1 << 20;

    /// <summary>
    /// How long a write waits for another's write lock. Long, because a write of a large state holds SQLite's single
    /// write lock for as long as it takes to stream it.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    internal string ResolveConnectionString() =>
        string.IsNullOrWhiteSpace(ConnectionString)
            ? $"Data Source={Path.Combine(DataDirectory, "grain-state.db")}"
            : ConnectionString;
}
