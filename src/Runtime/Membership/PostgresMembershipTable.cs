using System.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Membership table in PostgreSQL, for clusters spanning machines. A write locks the cluster's version row
/// (<c>SELECT ... FOR UPDATE</c>) for its transaction, so concurrent writers take turns and each one compares
/// against the version committed by the one before it. The server ends a write whose silo stops talking
/// mid-transaction after <see cref="PostgresMembershipTableOptions.IdleTransactionTimeout"/>, so a frozen silo
/// cannot keep that lock.
/// </summary>
public sealed partial class PostgresMembershipTable : IMembershipTable
{
    private const int SchemaVersion = 1;

    private readonly PostgresDatabase _database;
    private readonly ILogger<PostgresMembershipTable> _logger;
    private readonly string _s;
    private readonly TimeSpan _idleTransactionTimeout;

    public PostgresMembershipTable(IOptions<PostgresMembershipTableOptions> options, ILogger<PostgresMembershipTable> logger)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.ClusterId))
            throw new ArgumentException("A cluster id is required.", nameof(options));
        ClusterId = settings.ClusterId;
        _database = new PostgresDatabase(settings.ConnectionString, settings.Schema);
        _s = _database.Schema;
        PostgresDatabase.ValidateIdleLimit(settings.IdleTransactionTimeout, nameof(settings.IdleTransactionTimeout));
        _idleTransactionTimeout = settings.IdleTransactionTimeout;
        _logger = logger;
    }

    public string ClusterId { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureSchemaAsync("membership", SchemaVersion, $"""
            CREATE TABLE IF NOT EXISTS {_s}.hpf_membership_version (
                cluster_id text NOT NULL PRIMARY KEY,
                version bigint NOT NULL,
                etag text NOT NULL);
            CREATE TABLE IF NOT EXISTS {_s}.hpf_membership (
                cluster_id text NOT NULL,
                host text NOT NULL,
                port integer NOT NULL,
                generation bigint NOT NULL,
                silo_name text NOT NULL,
                status integer NOT NULL,
                start_time bigint NOT NULL,
                iamalive_time bigint NOT NULL,
                suspicions text NOT NULL,
                etag text NOT NULL,
                PRIMARY KEY (cluster_id, host, port, generation));
            """, cancellationToken).ConfigureAwait(false);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {_s}.hpf_membership_version (cluster_id, version, etag) VALUES (@cluster, 0, @etag) ON CONFLICT (cluster_id) DO NOTHING;",
            connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("etag", NewETag());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        LogInitialized(_database.Description, ClusterId);
    }

    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken) => ReadAsync(null, cancellationToken);

    public Task<MembershipTableSnapshot> ReadRowAsync(SiloAddress address, CancellationToken cancellationToken) =>
        ReadAsync(address, cancellationToken);

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!await LockVersionAsync(connection, transaction, expectedVersion, cancellationToken).ConfigureAwait(false))
            return false;
        await using (var insert = new NpgsqlCommand(
            $"INSERT INTO {_s}.hpf_membership (cluster_id, host, port, generation, silo_name, status, start_time, iamalive_time, "
            + "suspicions, etag) VALUES (@cluster, @host, @port, @generation, @name, @status, @start, @alive, @suspicions, @etag) "
            + "ON CONFLICT DO NOTHING;", connection, transaction))
        {
            AddEntryParameters(insert, entry);
            insert.Parameters.AddWithValue("etag", NewETag());
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                return false;
        }
        await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string rowETag, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!await LockVersionAsync(connection, transaction, expectedVersion, cancellationToken).ConfigureAwait(false))
            return false;
        await using (var update = new NpgsqlCommand(
            $"UPDATE {_s}.hpf_membership SET silo_name = @name, status = @status, start_time = @start, "
            + "iamalive_time = GREATEST(iamalive_time, @alive), suspicions = @suspicions, etag = @newEtag "
            + "WHERE cluster_id = @cluster AND host = @host AND port = @port AND generation = @generation AND etag = @etag;",
            connection, transaction))
        {
            AddEntryParameters(update, entry);
            update.Parameters.AddWithValue("etag", rowETag);
            update.Parameters.AddWithValue("newEtag", NewETag());
            if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                return false;
        }
        await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task UpdateIAmAliveAsync(SiloAddress address, DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"UPDATE {_s}.hpf_membership SET iamalive_time = GREATEST(iamalive_time, @alive) "
            + "WHERE cluster_id = @cluster AND host = @host AND port = @port AND generation = @generation;", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        AddAddressParameters(command, address);
        command.Parameters.AddWithValue("alive", time.UtcTicks);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteClusterAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {_s}.hpf_membership WHERE cluster_id = @cluster; DELETE FROM {_s}.hpf_membership_version WHERE cluster_id = @cluster;",
            connection, transaction);
        command.Parameters.AddWithValue("cluster", ClusterId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private async Task<MembershipTableSnapshot> ReadAsync(SiloAddress? address, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Repeatable read: the version and the rows come from one snapshot.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        TableVersion version;
        await using (var command = new NpgsqlCommand(
            $"SELECT version, etag FROM {_s}.hpf_membership_version WHERE cluster_id = @cluster;", connection, transaction))
        {
            command.Parameters.AddWithValue("cluster", ClusterId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException($"Membership of cluster '{ClusterId}' is not initialised; call InitializeAsync first.");
            version = new TableVersion(reader.GetInt64(0), reader.GetString(1));
        }
        var rows = new List<MembershipRow>();
        await using (var command = new NpgsqlCommand(
            $"SELECT host, port, generation, silo_name, status, start_time, iamalive_time, suspicions, etag FROM {_s}.hpf_membership "
            + (address is null
                ? "WHERE cluster_id = @cluster;"
                : "WHERE cluster_id = @cluster AND host = @host AND port = @port AND generation = @generation;"),
            connection, transaction))
        {
            command.Parameters.AddWithValue("cluster", ClusterId);
            if (address is not null) AddAddressParameters(command, address);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var entry = new MembershipEntry(
                    new SiloAddress(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)),
                    reader.GetString(3),
                    (SiloStatus)reader.GetInt32(4),
                    new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
                    new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                    SuspicionListFormat.Decode(reader.GetString(7)));
                rows.Add(new MembershipRow(entry, reader.GetString(8)));
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MembershipTableSnapshot(rows, version);
    }

    /// <summary>Opens a write's transaction with the idle limit set for it; internal so tests can hold one open as a frozen silo would.</summary>
    internal Task<NpgsqlTransaction> BeginWriteAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        PostgresDatabase.BeginTransactionAsync(connection, _idleTransactionTimeout, cancellationToken);

    internal ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);

    internal async Task<bool> LockVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TableVersion expected, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT version, etag FROM {_s}.hpf_membership_version WHERE cluster_id = @cluster FOR UPDATE;", connection, transaction);
        command.Parameters.AddWithValue("cluster", ClusterId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var current = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new TableVersion(reader.GetInt64(0), reader.GetString(1))
            : null;
        if (current == expected) return true;
        LogStaleVersion(ClusterId, expected.Version, current?.Version ?? -1);
        return false;
    }

    private async Task BumpVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"UPDATE {_s}.hpf_membership_version SET version = version + 1, etag = @etag WHERE cluster_id = @cluster;", connection, transaction);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("etag", NewETag());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void AddEntryParameters(NpgsqlCommand command, MembershipEntry entry)
    {
        command.Parameters.AddWithValue("cluster", ClusterId);
        AddAddressParameters(command, entry.SiloAddress);
        command.Parameters.AddWithValue("name", entry.SiloName);
        command.Parameters.AddWithValue("status", (int)entry.Status);
        command.Parameters.AddWithValue("start", entry.StartTime.UtcTicks);
        command.Parameters.AddWithValue("alive", entry.IAmAliveTime.UtcTicks);
        command.Parameters.AddWithValue("suspicions", SuspicionListFormat.Encode(entry.Suspicions));
    }

    private static void AddAddressParameters(NpgsqlCommand command, SiloAddress address)
    {
        command.Parameters.AddWithValue("host", address.Host);
        command.Parameters.AddWithValue("port", address.Port);
        command.Parameters.AddWithValue("generation", address.Generation);
    }

    private static string NewETag() => Guid.NewGuid().ToString("N");

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Membership table ready in PostgreSQL {Database} for cluster {ClusterId}")]
    private partial void LogInitialized(string database, string clusterId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Membership write of cluster {ClusterId} refused: expected table version {Expected}, found {Actual}")]
    private partial void LogStaleVersion(string clusterId, long expected, long actual);
}
