using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Membership table in one SQLite file, for the silos of one machine (several processes may share it: WAL,
/// busy timeout, and every write under <c>BEGIN IMMEDIATE</c>, which serialises writers across processes).
/// Commits do not wait for the disk (<c>synchronous = NORMAL</c>): a row lost to a power cut describes silos
/// that died with the machine, and the short commit keeps the window small in which a silo that is frozen
/// (SIGSTOP, a debugger) holds the file's one write lock. A silo frozen inside that window stalls every
/// membership write on the machine until it resumes or exits; SQLite locks have no lease the others could break.
/// </summary>
public sealed partial class SqliteMembershipTable : IMembershipTable
{
    private const int SchemaVersion = 1;

    private const string CreateStatements = """
        CREATE TABLE IF NOT EXISTS hpf_membership_version (
            cluster_id TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL,
            etag TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS hpf_membership (
            cluster_id TEXT NOT NULL,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            generation INTEGER NOT NULL,
            silo_name TEXT NOT NULL,
            status INTEGER NOT NULL,
            start_time INTEGER NOT NULL,
            iamalive_time INTEGER NOT NULL,
            suspicions TEXT NOT NULL,
            etag TEXT NOT NULL,
            PRIMARY KEY (cluster_id, host, port, generation));
        """;

    private const string SelectColumns =
        "SELECT host, port, generation, silo_name, status, start_time, iamalive_time, suspicions, etag FROM hpf_membership ";

    private readonly SqliteDatabaseFile _file;
    private readonly ILogger<SqliteMembershipTable> _logger;

    public SqliteMembershipTable(IOptions<SqliteMembershipTableOptions> options, ILogger<SqliteMembershipTable> logger)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.ClusterId))
            throw new ArgumentException("A cluster id is required.", nameof(options));
        ClusterId = settings.ClusterId;
        _file = new SqliteDatabaseFile(settings.ConnectionString, settings.BusyTimeout, syncEveryCommit: false);
        _logger = logger;
    }

    public string ClusterId { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _file.EnsureSchemaAsync("membership", SchemaVersion, CreateStatements, cancellationToken).ConfigureAwait(false);
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO hpf_membership_version (cluster_id, version, etag) VALUES ($cluster, 0, $etag) "
            + "ON CONFLICT (cluster_id) DO NOTHING;";
        command.Parameters.AddWithValue("$cluster", ClusterId);
        command.Parameters.AddWithValue("$etag", NewETag());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        LogInitialized(_file.DataSource, ClusterId);
    }

    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken) => ReadAsync(null, cancellationToken);

    public Task<MembershipTableSnapshot> ReadRowAsync(SiloAddress address, CancellationToken cancellationToken) =>
        ReadAsync(address, cancellationToken);

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        if (!await VersionMatchesAsync(connection, transaction, expectedVersion, cancellationToken).ConfigureAwait(false))
            return false;
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO hpf_membership (cluster_id, host, port, generation, silo_name, status, start_time, "
                + "iamalive_time, suspicions, etag) VALUES ($cluster, $host, $port, $generation, $name, $status, $start, $alive, "
                + "$suspicions, $etag) ON CONFLICT DO NOTHING;";
            AddEntryParameters(insert, entry);
            insert.Parameters.AddWithValue("$etag", NewETag());
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                return false;
        }
        await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string rowETag, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        if (!await VersionMatchesAsync(connection, transaction, expectedVersion, cancellationToken).ConfigureAwait(false))
            return false;
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE hpf_membership SET silo_name = $name, status = $status, start_time = $start, "
                + "iamalive_time = MAX(iamalive_time, $alive), suspicions = $suspicions, etag = $newEtag "
                + "WHERE cluster_id = $cluster AND host = $host AND port = $port AND generation = $generation AND etag = $etag;";
            AddEntryParameters(update, entry);
            update.Parameters.AddWithValue("$etag", rowETag);
            update.Parameters.AddWithValue("$newEtag", NewETag());
            if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                return false;
        }
        await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task UpdateIAmAliveAsync(SiloAddress address, DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE hpf_membership SET iamalive_time = MAX(iamalive_time, $alive) "
            + "WHERE cluster_id = $cluster AND host = $host AND port = $port AND generation = $generation;";
        command.Parameters.AddWithValue("$cluster", ClusterId);
        AddAddressParameters(command, address);
        command.Parameters.AddWithValue("$alive", time.UtcTicks);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteClusterAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM hpf_membership WHERE cluster_id = $cluster; "
            + "DELETE FROM hpf_membership_version WHERE cluster_id = $cluster;";
        command.Parameters.AddWithValue("$cluster", ClusterId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _file.ClearPool();
        return ValueTask.CompletedTask;
    }

    private async Task<MembershipTableSnapshot> ReadAsync(SiloAddress? address, CancellationToken cancellationToken)
    {
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Deferred: a read transaction, so the version and the rows come from one WAL snapshot without taking the write lock.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Membership of cluster '{ClusterId}' is not initialised; call InitializeAsync first.");
        var rows = new List<MembershipRow>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = SelectColumns + (address is null
                ? "WHERE cluster_id = $cluster;"
                : "WHERE cluster_id = $cluster AND host = $host AND port = $port AND generation = $generation;");
            command.Parameters.AddWithValue("$cluster", ClusterId);
            if (address is not null) AddAddressParameters(command, address);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var silo = new SiloAddress(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2));
                var entry = new MembershipEntry(
                    silo,
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

    private async Task<TableVersion?> ReadVersionAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, etag FROM hpf_membership_version WHERE cluster_id = $cluster;";
        command.Parameters.AddWithValue("$cluster", ClusterId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new TableVersion(reader.GetInt64(0), reader.GetString(1))
            : null;
    }

    private async Task<bool> VersionMatchesAsync(SqliteConnection connection, SqliteTransaction transaction, TableVersion expected, CancellationToken cancellationToken)
    {
        var current = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (current == expected) return true;
        LogStaleVersion(ClusterId, expected.Version, current?.Version ?? -1);
        return false;
    }

    private async Task BumpVersionAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE hpf_membership_version SET version = version + 1, etag = $etag WHERE cluster_id = $cluster;";
        command.Parameters.AddWithValue("$cluster", ClusterId);
        command.Parameters.AddWithValue("$etag", NewETag());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void AddEntryParameters(SqliteCommand command, MembershipEntry entry)
    {
        command.Parameters.AddWithValue("$cluster", ClusterId);
        AddAddressParameters(command, entry.SiloAddress);
        command.Parameters.AddWithValue("$name", entry.SiloName);
        command.Parameters.AddWithValue("$status", (int)entry.Status);
        command.Parameters.AddWithValue("$start", entry.StartTime.UtcTicks);
        command.Parameters.AddWithValue("$alive", entry.IAmAliveTime.UtcTicks);
        command.Parameters.AddWithValue("$suspicions", SuspicionListFormat.Encode(entry.Suspicions));
    }

    private static void AddAddressParameters(SqliteCommand command, SiloAddress address)
    {
        command.Parameters.AddWithValue("$host", address.Host);
        command.Parameters.AddWithValue("$port", address.Port);
        command.Parameters.AddWithValue("$generation", address.Generation);
    }

    private static string NewETag() => Guid.NewGuid().ToString("N");

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Membership table ready in SQLite file {DataSource} for cluster {ClusterId}")]
    private partial void LogInitialized(string dataSource, string clusterId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Membership write of cluster {ClusterId} refused: expected table version {Expected}, found {Actual}")]
    private partial void LogStaleVersion(string clusterId, long expected, long actual);
}
