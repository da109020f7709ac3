using Hpf.Cluster.Runtime.Storage;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// A grain's persisted state in the silo's <see cref="IGrainStateStore"/>, as a stream both ways (shard states are
/// hundreds of megabytes). It remembers the etag of the last read or write, so a write from an activation that
/// has been superseded (its silo was declared dead and the grain lives elsewhere now) fails with
/// <see cref="GrainStateConflictException"/> instead of overwriting newer state. Read before the first write,
/// typically in <see cref="Grain.OnActivateAsync"/>.
/// </summary>
public sealed class GrainStorage
{
    private readonly IGrainStateStore _store;
    private readonly GrainId _grainId;

    internal GrainStorage(IGrainStateStore store, GrainId grainId)
    {
        _store = store;
        _grainId = grainId;
    }

    /// <summary>Etag of the state as last read or written by this activation; null when there is none.</summary>
    public string? ETag { get; private set; }

    /// <summary>Hands the stored state to <paramref name="readState"/>; false (without calling it) when there is none.</summary>
    public async Task<bool> ReadAsync(Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken)
    {
        ETag = await _store.ReadAsync(_grainId.Type, _grainId.Key, readState, cancellationToken).ConfigureAwait(false);
        return ETag is not null;
    }

    /// <summary>Replaces the stored state with what <paramref name="writeState"/> writes, if nobody else wrote since.</summary>
    public async Task WriteAsync(Func<Stream, CancellationToken, Task> writeState, CancellationToken cancellationToken) =>
        ETag = await _store.WriteAsync(_grainId.Type, _grainId.Key, writeState, ETag, cancellationToken).ConfigureAwait(false);

    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        await _store.ClearAsync(_grainId.Type, _grainId.Key, ETag, cancellationToken).ConfigureAwait(false);
        ETag = null;
    }
}
