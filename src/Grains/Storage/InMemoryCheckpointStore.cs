namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Checkpoints in process memory, for unit tests only: same etag rules as the real stores, but states are buffered
/// whole and nothing outlives the process.
/// </summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Type, string Id), (string ETag, byte[] Data)> _states = [];

    /// <summary>The (grain type, grain id) pairs that have state: lets a test check that something left nothing behind.</summary>
    public IReadOnlyList<(string Type, string Id)> Keys
    {
        get
        {
            lock (_gate) return [.. _states.Keys];
        }
    }

    public async Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(readState);
        (string ETag, byte[] Data) stored;
        lock (_gate)
            if (!_states.TryGetValue((grainType, grainId), out stored))
                return null;
        await using var state = new ForwardOnlyStream(new MemoryStream(stored.Data, writable: false), writable: false);
        await readState(state, cancellationToken);
        return stored.ETag;
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(writeState);
        CheckETag(grainType, grainId, expectedETag);
        using var buffer = new MemoryStream();
        await writeState(new ForwardOnlyStream(buffer, writable: true), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var etag = CheckpointKey.NewETag();
        lock (_gate)
        {
            // Checked again under the lock: another writer may have committed while the callback ran.
            CheckETag(grainType, grainId, expectedETag);
            _states[(grainType, grainId)] = (etag, buffer.ToArray());
        }
        return etag;
    }

    public Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            CheckETag(grainType, grainId, expectedETag);
            _states.Remove((grainType, grainId));
        }
        return Task.CompletedTask;
    }

    private void CheckETag(string grainType, string grainId, string? expectedETag)
    {
        lock (_gate)
        {
            var actual = _states.TryGetValue((grainType, grainId), out var stored) ? stored.ETag : null;
            if (!string.Equals(actual, expectedETag, StringComparison.Ordinal))
                throw new CheckpointConflictException(grainType, grainId, expectedETag, actual);
        }
    }
}
