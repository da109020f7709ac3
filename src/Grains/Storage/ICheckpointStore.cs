namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Where grains keep their large state (shard data, checkpoints), addressed by grain type and id and guarded by an
/// etag, so a stale writer (an older activation, or one on a silo declared dead) is refused instead of overwriting
/// newer state. State travels as a stream both ways: it runs to hundreds of megabytes, which a store must never hold
/// in memory whole.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>
    /// Hands the stored state to <paramref name="readState"/> as a forward-only stream, valid only during the call,
    /// and returns its etag; returns null without calling it when the grain has no state.
    /// </summary>
    Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the state with what <paramref name="writeState"/> writes to the forward-only stream it is given, if
    /// the stored etag is still <paramref name="expectedETag"/> (null: no state stored yet), and returns the new etag.
    /// Atomic: if the callback throws or the write is cancelled, the previous state stays as it was.
    /// </summary>
    /// <exception cref="CheckpointConflictException">The stored etag is not <paramref name="expectedETag"/>.</exception>
    Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>Deletes the state if its etag is still <paramref name="expectedETag"/>; clearing absent state expecting null does nothing.</summary>
    /// <exception cref="CheckpointConflictException">The stored etag is not <paramref name="expectedETag"/>.</exception>
    Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken);
}
