using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// One SQLite database file shared by silo processes on one machine: opens pooled connections with a busy
/// timeout (so a writer in another process makes us wait rather than fail) and creates versioned schemas.
/// Used by both the membership table and the grain-state store.
/// </summary>
internal sealed class SqliteDatabaseFile
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;
    private readonly string _synchronous;

    /// <param name="syncEveryCommit">
    /// True: every commit waits for the WAL to reach the disk (<c>synchronous = FULL</c>), so a committed write
    /// survives a power loss. False (<c>NORMAL</c>): commits survive a crashed process but not a crashed machine,
    /// and hold the write lock about a tenth as long, since the fsync moves to checkpoints.
    /// </param>
    public SqliteDatabaseFile(string connectionString, TimeSpan busyTimeout, bool syncEveryCommit = true)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("A SQLite connection string (Data Source=...) is required.", nameof(connectionString));
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout, so the two must agree.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        };
        DataSource = builder.DataSource;
        if (DataSource.Length > 0 && DataSource != ":memory:" && !DataSource.StartsWith("file:", StringComparison.Ordinal))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(DataSource));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }
        _connectionString = builder.ToString();
        _busyTimeoutMilliseconds = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 1, int.MaxValue);
        _synchronous = syncEveryCommit ? "FULL" : "NORMAL";
    }

    /// <summary>The file name alone: safe to log, unlike the connection string, which may carry a password.</summary>
    public string DataSource { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // journal_size_limit: after a checkpoint, the WAL left behind by a write of a large state shrinks back to 64 MB.
            await ExecuteAsync(connection, null, string.Create(CultureInfo.InvariantCulture,
                    $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}; PRAGMA journal_size_limit = 67108864; PRAGMA synchronous = {_synchronous};"), cancellationToken)
                .ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Switches the file to WAL (readers never block the writer, and other processes can read while one writes),
    /// runs <paramref name="createStatements"/> and records <paramref name="version"/> for
    /// <paramref name="component"/>, all under the write lock so concurrent initialisers take turns.
    /// Refuses a file whose schema is newer than this code.
    /// </summary>
    public async Task EnsureSchemaAsync(string component, int version, string createStatements, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        // Not deferred: BEGIN IMMEDIATE takes the write lock now, so two initialisers cannot both pass the version check.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await ExecuteAsync(connection, transaction,
            "CREATE TABLE IF NOT EXISTS hpf_schema (component TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL);",
            cancellationToken).ConfigureAwait(false);
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT version FROM hpf_schema WHERE component = $component;";
            read.Parameters.AddWithValue("$component", component);
            var existing = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (existing is long stored && stored > version)
                throw new InvalidOperationException(
                    $"The {component} schema in {DataSource} is at version {stored}, newer than this silo's {version}; upgrade the silo.");
        }
        await ExecuteAsync(connection, transaction, createStatements, cancellationToken).ConfigureAwait(false);
        await using (var write = connection.CreateCommand())
        {
            write.Transaction = transaction;
            write.CommandText = "INSERT INTO hpf_schema (component, version) VALUES ($component, $version) "
                + "ON CONFLICT (component) DO UPDATE SET version = excluded.version;";
            write.Parameters.AddWithValue("$component", component);
            write.Parameters.AddWithValue("$version", version);
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the idle pooled connections to this file so it can be deleted or moved.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
