namespace Hpf.Cluster.Runtime.Storage;

/// <summary>
/// The read-only stream a grain reads its state from: the stored chunks one after another, each opened only when
/// the previous one is used up, so no more than one chunk's worth of the state is ever buffered.
/// </summary>
internal sealed class ChunkReadStream(Func<Stream?> nextChunk, Func<CancellationToken, ValueTask<Stream?>> nextChunkAsync) : Stream
{
    private Stream? _current;
    private bool _ended;
    private bool _disposed;

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("A state stream is read forward only.");

    public override long Position
    {
        get => throw new NotSupportedException("A state stream is read forward only.");
        set => throw new NotSupportedException("A state stream is read forward only.");
    }

    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!_ended && !destination.IsEmpty)
        {
            _current ??= nextChunk();
            if (_current is null)
            {
                _ended = true;
                break;
            }
            var read = _current.Read(destination);
            if (read > 0) return read;
            _current.Dispose();
            _current = null;
        }
        return 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!_ended && !destination.IsEmpty)
        {
            _current ??= await nextChunkAsync(cancellationToken).ConfigureAwait(false);
            if (_current is null)
            {
                _ended = true;
                break;
            }
            var read = await _current.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            if (read > 0) return read;
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A state stream is read forward only.");

    public override void SetLength(long value) => throw new NotSupportedException("A state stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A state stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _current?.Dispose();
            _current = null;
        }
        base.Dispose(disposing);
    }
}
