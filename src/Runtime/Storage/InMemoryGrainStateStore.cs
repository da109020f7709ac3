namespace Hpf.Cluster.Runtime.Storage;

/// <summary>
/// Grain state in process memory, for unit tests only: same etag rules as the real stores, but states are
/// buffered whole and nothing outlives the process.
/// </summary>
public sealed class InMemoryGrainStateStore : IGrainStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Type, string Id), (string ETag, byte[] Data)> _states = [];

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
        GrainStateKey.Validate(grainType, grainId);
        (string ETag, byte[] Data) stored;
        lock (_gate)
            if (!_states.TryGetValue((grainType, grainId), out stored))
                return null;
        await using var state = new MemoryStream(stored.Data, writable: false);
        await readState(state, cancellationToken).ConfigureAwait(false);
        return stored.ETag;
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        GrainStateKey.Validate(grainType, grainId);
        CheckETag(grainType, grainId, expectedETag);
        using var buffer = new MemoryStream();
        await writeState(buffer, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var etag = GrainStateKey.NewETag();
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
        GrainStateKey.Validate(grainType, grainId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            CheckETag(grainType, grainId, expectedETag);
            _states.Remove((grainType, grainId));
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void CheckETag(string grainType, string grainId, string? expectedETag)
    {
        lock (_gate)
        {
            var actual = _states.TryGetValue((grainType, grainId), out var stored) ? stored.ETag : null;
            if (!string.Equals(actual, expectedETag, StringComparison.Ordinal))
                throw new GrainStateConflictException(grainType, grainId, expectedETag, actual);
        }
    }
}
