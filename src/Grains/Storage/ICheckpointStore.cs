namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Where shards stream their sealed data and checkpoints (10 MB–1 GB each), addressed by (grain type, grain id) and
/// guarded by an etag, so that a stale writer (an activation on a silo that was declared dead) is refused instead of
/// overwriting newer state. Orleans' grain storage serializes the whole state inside the grain's turn; this streams.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Hands the stored state to <paramref name="readState"/> as a forward-only stream and returns its etag; null (without calling it) when there is none.</summary>
    Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken);

    /// <summary>Replaces the state with what <paramref name="writeState"/> writes if the stored etag is still <paramref name="expectedETag"/> (null: none stored); returns the new etag. Atomic.</summary>
    Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>Deletes the state if its etag is still <paramref name="expectedETag"/>.</summary>
    Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken);
}
