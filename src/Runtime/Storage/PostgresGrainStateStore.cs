using System.Data;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Hpf.Cluster.Runtime.Storage;

/// <summary>
/// Grain state in PostgreSQL, shared by the silos of several machines. A state is cut into chunk rows, written
/// one chunk at a time from a reused buffer and read back with sequential access, so neither direction holds
/// more than one chunk in memory. A write is one transaction: the head row is claimed first (insert, or update
/// conditional on the expected etag, which row-locks it against a concurrent writer), then the chunks replaced;
/// a failure or cancellation rolls it all back, and so does the server when the writer stops sending statements
/// for <see cref="PostgresGrainStateStoreOptions.IdleTransactionTimeout"/>.
/// </summary>
public sealed partial class PostgresGrainStateStore : IGrainStateStore
{
    private const int SchemaVersion = 1;

    private readonly PostgresDatabase _database;
    private readonly string _s;
    private readonly int _chunkSize;
    private readonly TimeSpan _idleTransactionTimeout;
    private readonly ILogger<PostgresGrainStateStore> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _initialized;

    public PostgresGrainStateStore(IOptions<PostgresGrainStateStoreOptions> options, ILogger<PostgresGrainStateStore> logger, TimeProvider? timeProvider = null)
    {
        var settings = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.ChunkSize, 1, nameof(settings.ChunkSize));
        _database = new PostgresDatabase(settings.ConnectionString, settings.Schema);
        _s = _database.Schema;
        _chunkSize = settings.ChunkSize;
        PostgresDatabase.ValidateIdleLimit(settings.IdleTransactionTimeout, nameof(settings.IdleTransactionTimeout));
        _idleTransactionTimeout = settings.IdleTransactionTimeout;
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
            // STORAGE EXTERNAL: states are mostly float arrays, which do not compress; skipping the attempt saves CPU.
            await _database.EnsureSchemaAsync("grain_state", SchemaVersion, $"""
                CREATE TABLE IF NOT EXISTS {_s}.hpf_grain_state (
                    grain_type text NOT NULL,
                    grain_id text NOT NULL,
                    etag text NOT NULL,
                    length bigint NOT NULL,
                    chunk_count integer NOT NULL,
                    modified bigint NOT NULL,
                    PRIMARY KEY (grain_type, grain_id));
                CREATE TABLE IF NOT EXISTS {_s}.hpf_grain_state_chunk (
                    grain_type text NOT NULL,
                    grain_id text NOT NULL,
                    seq integer NOT NULL,
                    data bytea NOT NULL,
                    PRIMARY KEY (grain_type, grain_id, seq));
                ALTER TABLE {_s}.hpf_grain_state_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
                """, cancellationToken).ConfigureAwait(false);
            _initialized = true;
            LogInitialized(_database.Description);
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
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Repeatable read: the head row and the chunks come from one snapshot, even if a writer commits meanwhile.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var head = await ReadHeadAsync(connection, transaction, grainType, grainId, forUpdate: false, cancellationToken).ConfigureAwait(false);
        if (head is null) return null;

        await using var command = new NpgsqlCommand(
            $"SELECT data FROM {_s}.hpf_grain_state_chunk WHERE grain_type = @type AND grain_id = @id ORDER BY seq;", connection, transaction);
        AddKey(command, grainType, grainId);
        // Sequential access streams each bytea from the socket instead of buffering whole rows.
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        var chunks = 0;
        Stream? Next(bool more)
        {
            if (!more) return null;
            chunks++;
            return reader.GetStream(0);
        }
        await using (var state = new ChunkReadStream(
            () => Next(reader.Read()),
            async ct => Next(await reader.ReadAsync(ct).ConfigureAwait(false))))
        {
            await readState(state, cancellationToken).ConfigureAwait(false);
        }
        await reader.DisposeAsync().ConfigureAwait(false);
        if (chunks > head.Value.Chunks)
            throw new InvalidDataException($"The state of grain {grainType}/{grainId} has more chunks than its head row records ({head.Value.Chunks}).");
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return head.Value.ETag;
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await PostgresDatabase.BeginTransactionAsync(connection, _idleTransactionTimeout, cancellationToken).ConfigureAwait(false);
        var etag = GrainStateKey.NewETag();
        await ClaimHeadAsync(connection, transaction, grainType, grainId, expectedETag, etag, cancellationToken).ConfigureAwait(false);
        await DeleteChunksAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);

        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {_s}.hpf_grain_state_chunk (grain_type, grain_id, seq, data) VALUES (@type, @id, @seq, @data);", connection, transaction);
        AddKey(insert, grainType, grainId);
        var seq = new NpgsqlParameter<int>("seq", NpgsqlDbType.Integer);
        var data = new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea);
        insert.Parameters.Add(seq);
        insert.Parameters.Add(data);
        var chunks = 0;
        long written;
        await using (var state = new ChunkWriteStream(
            _chunkSize,
            chunk =>
            {
                seq.TypedValue = chunks;
                data.TypedValue = chunk;
                insert.ExecuteNonQuery();
                chunks++;
            },
            async (chunk, ct) =>
            {
                seq.TypedValue = chunks;
                data.TypedValue = chunk;
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                chunks++;
            },
            cancellationToken))
        {
            await writeState(state, cancellationToken).ConfigureAwait(false);
            await state.CompleteAsync().ConfigureAwait(false);
            written = state.Written;
        }
        cancellationToken.ThrowIfCancellationRequested();

        await using (var update = new NpgsqlCommand(
            $"UPDATE {_s}.hpf_grain_state SET length = @length, chunk_count = @chunks, modified = @modified WHERE grain_type = @type AND grain_id = @id;",
            connection, transaction))
        {
            AddKey(update, grainType, grainId);
            update.Parameters.AddWithValue("length", written);
            update.Parameters.AddWithValue("chunks", chunks);
            update.Parameters.AddWithValue("modified", _time.GetUtcNow().UtcTicks);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        LogWritten(grainType, grainId, written, chunks);
        return etag;
    }

    public async Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await PostgresDatabase.BeginTransactionAsync(connection, _idleTransactionTimeout, cancellationToken).ConfigureAwait(false);
        var head = await ReadHeadAsync(connection, transaction, grainType, grainId, forUpdate: true, cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(grainType, grainId, expectedETag, head?.ETag);
        if (head is null) return;
        await DeleteChunksAsync(connection, transaction, grainType, grainId, cancellationToken).ConfigureAwait(false);
        await using (var delete = new NpgsqlCommand($"DELETE FROM {_s}.hpf_grain_state WHERE grain_type = @type AND grain_id = @id;", connection, transaction))
        {
            AddKey(delete, grainType, grainId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync().ConfigureAwait(false);
        _initialization.Dispose();
    }

    /// <summary>
    /// Makes the head row carry the new etag, or throws if the stored etag is not the expected one. The insert or
    /// update locks the row until commit, so a concurrent writer with the same expectation waits, then finds the
    /// etag changed (or the row present) and is refused.
    /// </summary>
    private async Task ClaimHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string grainType, string grainId, string? expectedETag, string etag, CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand(expectedETag is null
            ? $"INSERT INTO {_s}.hpf_grain_state (grain_type, grain_id, etag, length, chunk_count, modified) "
                + "VALUES (@type, @id, @etag, 0, 0, @modified) ON CONFLICT (grain_type, grain_id) DO NOTHING;"
            : $"UPDATE {_s}.hpf_grain_state SET etag = @etag, modified = @modified WHERE grain_type = @type AND grain_id = @id AND etag = @expected;",
            connection, transaction);
        AddKey(claim, grainType, grainId);
        claim.Parameters.AddWithValue("etag", etag);
        claim.Parameters.AddWithValue("modified", _time.GetUtcNow().UtcTicks);
        if (expectedETag is not null) claim.Parameters.AddWithValue("expected", expectedETag);
        if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1) return;
        var actual = await ReadHeadAsync(connection, transaction, grainType, grainId, forUpdate: false, cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(grainType, grainId, expectedETag, actual?.ETag, alwaysThrow: true);
    }

    private void ThrowOnConflict(string grainType, string grainId, string? expected, string? actual, bool alwaysThrow = false)
    {
        if (!alwaysThrow && string.Equals(expected, actual, StringComparison.Ordinal)) return;
        LogConflict(grainType, grainId, expected ?? "(no state)", actual ?? "(no state)");
        throw new GrainStateConflictException(grainType, grainId, expected, actual);
    }

    private async Task<(string ETag, int Chunks)?> ReadHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string grainType, string grainId, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT etag, chunk_count FROM {_s}.hpf_grain_state WHERE grain_type = @type AND grain_id = @id{(forUpdate ? " FOR UPDATE" : "")};",
            connection, transaction);
        AddKey(command, grainType, grainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(0), reader.GetInt32(1)) : null;
    }

    private async Task DeleteChunksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string grainType, string grainId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {_s}.hpf_grain_state_chunk WHERE grain_type = @type AND grain_id = @id;", connection, transaction);
        AddKey(command, grainType, grainId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddKey(NpgsqlCommand command, string grainType, string grainId)
    {
        command.Parameters.AddWithValue("type", grainType);
        command.Parameters.AddWithValue("id", grainId);
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Grain state store ready in PostgreSQL {Database}")]
    private partial void LogInitialized(string database);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Wrote state of grain {GrainType}/{GrainId}: {Bytes} bytes in {Chunks} chunks")]
    private partial void LogWritten(string grainType, string grainId, long bytes, int chunks);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Refused a stale write of grain {GrainType}/{GrainId}: expected etag {Expected}, stored {Actual}")]
    private partial void LogConflict(string grainType, string grainId, string expected, string actual);
}
