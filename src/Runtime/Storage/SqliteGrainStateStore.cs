using Hpf.Cluster.Runtime.Membership;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Storage;

/// <summary>
/// Grain state in one SQLite file: the default store of a single machine. A state is cut into chunk rows, each
/// written with <c>zeroblob(n)</c> and filled through SQLite's incremental blob I/O, and read back the same way,
/// so neither direction holds more than one chunk in memory. A write is one <c>BEGIN IMMEDIATE</c> transaction
/// (etag check, old chunks deleted, new chunks and head row written): a failure or cancellation rolls it all back.
/// </summary>
public sealed partial class SqliteGrainStateStore : IGrainStateStore
{
    private const int SchemaVersion = 1;

    private const string CreateStatements = """
        CREATE TABLE IF NOT EXISTS hpf_grain_state (
            grain_type TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            etag TEXT NOT NULL,
            length INTEGER NOT NULL,
            chunk_count INTEGER NOT NULL,
            modified INTEGER NOT NULL,
            PRIMARY KEY (grain_type, grain_id));
        CREATE TABLE IF NOT EXISTS hpf_grain_state_chunk (
            grain_type TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (grain_type, grain_id, seq));
        """;

    private const string ChunkTable = "hpf_grain_state_chunk";

    private readonly SqliteDatabaseFile _file;
    private readonly int _chunkSize;
    private readonly ILogger<SqliteGrainStateStore> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _initialized;

    public SqliteGrainStateStore(IOptions<SqliteGrainStateStoreOptions> options, ILogger<SqliteGrainStateStore> logger, TimeProvider? timeProvider = null)
    {
        var settings = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.ChunkSize, 1, nameof(settings.ChunkSize));
        _file = new SqliteDatabaseFile(settings.ResolveConnectionString(), settings.BusyTimeout);
        _chunkSize = settings.ChunkSize;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return;
        await _initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized) return;
            await _file.EnsureSchemaAsync("grain_state", SchemaVersion, CreateStatements, cancellationToken).ConfigureAwait(false);
            _initialized = true;
            LogInitialized(_file.DataSource);
        }
        finally
        {
            _initialization.Release();
        }
    }

    public async Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        // A read transaction pins one WAL snapshot: a writer committing meanwhile cannot mix its chunks into ours.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var head = await ReadHeadAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);
        if (head is null) return null;
        var rowIds = new List<long>(head.Value.Chunks);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT rowid FROM {ChunkTable} WHERE grain_type = $type AND grain_id = $id ORDER BY seq;";
            AddKey(command, grainType, grainId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rowIds.Add(reader.GetInt64(0));
        }
        if (rowIds.Count != head.Value.Chunks)
            throw new InvalidDataException($"The state of grain {grainType}/{grainId} in {_file.DataSource} has {rowIds.Count} chunks where its head row records {head.Value.Chunks}.");
        var next = 0;
        Stream? NextChunk() => next < rowIds.Count ? new SqliteBlob(connection, ChunkTable, "data", rowIds[next++], readOnly: true) : null;
        await using (var state = new ChunkReadStream(NextChunk, _ => ValueTask.FromResult(NextChunk())))
            await readState(state, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return head.Value.ETag;
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        // BEGIN IMMEDIATE: the write lock is ours from the etag check to the commit, across processes too.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var head = await ReadHeadAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(grainType, grainId, expectedETag, head?.ETag);
        await DeleteChunksAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO {ChunkTable} (grain_type, grain_id, seq, data) VALUES ($type, $id, $seq, zeroblob($length)) RETURNING rowid;";
        AddKey(insert, grainType, grainId);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var length = insert.Parameters.Add("$length", SqliteType.Integer);
        var chunks = 0;
        void WriteChunk(ReadOnlyMemory<byte> chunk)
        {
            seq.Value = chunks;
            length.Value = chunk.Length;
            var rowId = (long)insert.ExecuteScalar()!;
            using var blob = new SqliteBlob(connection, ChunkTable, "data", rowId);
            blob.Write(chunk.Span);
            chunks++;
        }

        long written;
        await using (var state = new ChunkWriteStream(_chunkSize, WriteChunk, (chunk, _) => { WriteChunk(chunk); return ValueTask.CompletedTask; }, cancellationToken))
        {
            await writeState(state, cancellationToken).ConfigureAwait(false);
            await state.CompleteAsync().ConfigureAwait(false);
            written = state.Written;
        }
        cancellationToken.ThrowIfCancellationRequested();

        var etag = GrainStateKey.NewETag();
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = "INSERT INTO hpf_grain_state (grain_type, grain_id, etag, length, chunk_count, modified) "
                + "VALUES ($type, $id, $etag, $length, $chunks, $modified) ON CONFLICT (grain_type, grain_id) DO UPDATE SET "
                + "etag = excluded.etag, length = excluded.length, chunk_count = excluded.chunk_count, modified = excluded.modified;";
            AddKey(upsert, grainType, grainId);
            upsert.Parameters.AddWithValue("$etag", etag);
            upsert.Parameters.AddWithValue("$length", written);
            upsert.Parameters.AddWithValue("$chunks", chunks);
            upsert.Parameters.AddWithValue("$modified", _time.GetUtcNow().UtcTicks);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        LogWritten(grainType, grainId, written, chunks);
        return etag;
    }

    public async Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _file.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var head = await ReadHeadAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(grainType, grainId, expectedETag, head?.ETag);
        if (head is null) return;
        await DeleteChunksAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM hpf_grain_state WHERE grain_type = $type AND grain_id = $id;";
            AddKey(delete, grainType, grainId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _file.ClearPool();
        _initialization.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ThrowOnConflict(string grainType, string grainId, string? expected, string? actual)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal)) return;
        LogConflict(grainType, grainId, expected ?? "(no state)", actual ?? "(no state)");
        throw new GrainStateConflictException(grainType, grainId, expected, actual);
    }

    private static async Task<(string ETag, int Chunks)?> ReadHeadAsync(SqliteConnection connection, SqliteTransaction transaction, string grainType, string grainId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT etag, chunk_count FROM hpf_grain_state WHERE grain_type = $type AND grain_id = $id;";
        AddKey(command, grainType, grainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(0), reader.GetInt32(1)) : null;
    }

    private static async Task DeleteChunksAsync(SqliteConnection connection, SqliteTransaction transaction, string grainType, string grainId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {ChunkTable} WHERE grain_type = $type AND grain_id = $id;";
        AddKey(command, grainType, grainId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddKey(SqliteCommand command, string grainType, string grainId)
    {
        command.Parameters.AddWithValue("$type", grainType);
        command.Parameters.AddWithValue("$id", grainId);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Grain state store ready in SQLite file {DataSource}")]
    private partial void LogInitialized(string dataSource);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Wrote state of grain {GrainType}/{GrainId}: {Bytes} bytes in {Chunks} chunks")]
    private partial void LogWritten(string grainType, string grainId, long bytes, int chunks);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Refused a stale write of grain {GrainType}/{GrainId}: expected etag {Expected}, stored {Actual}")]
    private partial void LogConflict(string grainType, string grainId, string expected, string actual);
}
