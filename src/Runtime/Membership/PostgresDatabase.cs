using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// A PostgreSQL database shared by the silos of a multi-machine cluster, with our tables in one schema:
/// owns the connection pool and creates versioned schemas. Used by both the membership table and the
/// grain-state store.
/// </summary>
internal sealed partial class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString, string schema)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("A PostgreSQL connection string is required.", nameof(connectionString));
        if (!SchemaName().IsMatch(schema))
            throw new ArgumentException($"'{schema}' is not a plain lower-case schema name ([a-z_][a-z0-9_]*).", nameof(schema));
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Host and database only: the connection string carries the password.
        Description = $"{builder.Host}:{builder.Port}/{builder.Database} schema {schema}";
        Schema = schema;
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public string Description { get; }

    /// <summary>Validated, so it can be put into SQL text (identifiers cannot be parameters).</summary>
    public string Schema { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => _dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Creates the schema, runs <paramref name="createStatements"/> and records <paramref name="version"/> for
    /// <paramref name="component"/> in one transaction under an advisory lock, since concurrent
    /// <c>CREATE TABLE IF NOT EXISTS</c> from several silos can otherwise fail on PostgreSQL's catalog.
    /// Refuses a database whose schema is newer than this code.
    /// </summary>
    public async Task EnsureSchemaAsync(string component, int version, string createStatements, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"""
            SELECT pg_advisory_xact_lock(hashtext('hpf.schema'));
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE IF NOT EXISTS {Schema}.hpf_schema (component text NOT NULL PRIMARY KEY, version integer NOT NULL);
            """, cancellationToken).ConfigureAwait(false);
        await using (var read = new NpgsqlCommand($"SELECT version FROM {Schema}.hpf_schema WHERE component = @component;", connection, transaction))
        {
            read.Parameters.AddWithValue("component", component);
            if (await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int stored && stored > version)
                throw new InvalidOperationException(
                    $"The {component} schema in {Description} is at version {stored}, newer than this silo's {version}; upgrade the silo.");
        }
        await ExecuteAsync(connection, transaction, createStatements, cancellationToken).ConfigureAwait(false);
        await using (var write = new NpgsqlCommand(
            $"INSERT INTO {Schema}.hpf_schema (component, version) VALUES (@component, @version) "
            + "ON CONFLICT (component) DO UPDATE SET version = excluded.version;", connection, transaction))
        {
            write.Parameters.AddWithValue("component", component);
            write.Parameters.AddWithValue("version", version);
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>
    /// Begins a transaction that the server ends if this client sends it no statement for
    /// <paramref name="idleLimit"/> (<c>SET LOCAL idle_in_transaction_session_timeout</c>: this transaction only,
    /// and it passes through poolers that refuse startup options). A silo frozen mid-write (SIGSTOP, a paused
    /// VM) would otherwise keep its row locks, and the other silos' writes to those rows, waiting, for as long
    /// as it stays frozen.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginTransactionAsync(NpgsqlConnection connection, TimeSpan idleLimit, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, transaction, string.Create(CultureInfo.InvariantCulture,
                $"SET LOCAL idle_in_transaction_session_timeout = {(long)Math.Ceiling(idleLimit.TotalMilliseconds)};"), cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <exception cref="ArgumentException"><paramref name="idleLimit"/> is under 1 ms, which PostgreSQL would read as no limit.</exception>
    public static void ValidateIdleLimit(TimeSpan idleLimit, string name)
    {
        if (idleLimit < TimeSpan.FromMilliseconds(1))
            throw new ArgumentException($"{name} must be at least 1 ms.", name);
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
