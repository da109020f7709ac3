using System.Buffers;

namespace Hpf.Cluster.Runtime.Storage;

/// <summary>
/// The write-only stream a grain writes its state into: it gathers bytes into one reusable chunk buffer and hands
/// each full chunk to the store, so memory stays at one chunk whatever the size of the state.
/// </summary>
internal sealed class ChunkWriteStream : Stream
{
    private readonly Action<ReadOnlyMemory<byte>> _writeChunk;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _writeChunkAsync;
    private readonly CancellationToken _cancellationToken;
    private byte[]? _buffer;
    private int _filled;

    public ChunkWriteStream(
        int chunkSize,
        Action<ReadOnlyMemory<byte>> writeChunk,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> writeChunkAsync,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        ChunkSize = chunkSize;
        _writeChunk = writeChunk;
        _writeChunkAsync = writeChunkAsync;
        _cancellationToken = cancellationToken;
    }

    public int ChunkSize { get; }

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>Chunks handed to the store so far.</summary>
    public int Chunks { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => _buffer is not null;
    public override long Length => throw new NotSupportedException("A state stream is written forward only.");

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException("A state stream is written forward only.");
    }

    public override void Write(ReadOnlySpan<byte> source)
    {
        var buffer = Buffer();
        while (!source.IsEmpty)
        {
            var take = Math.Min(source.Length, ChunkSize - _filled);
            source[..take].CopyTo(buffer.AsSpan(_filled));
            _filled += take;
            Written += take;
            source = source[take..];
            if (_filled == ChunkSize)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                _writeChunk(buffer.AsMemory(0, _filled));
                Chunks++;
                _filled = 0;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var buffer = Buffer();
        while (!source.IsEmpty)
        {
            var take = Math.Min(source.Length, ChunkSize - _filled);
            source.Span[..take].CopyTo(buffer.AsSpan(_filled));
            _filled += take;
            Written += take;
            source = source[take..];
            if (_filled == ChunkSize)
                await FlushChunkAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Hands the last, partial chunk to the store. Called by the store once the grain's callback returned.</summary>
    public async ValueTask CompleteAsync()
    {
        var buffer = Buffer();
        if (_filled > 0) await FlushChunkAsync(buffer, CancellationToken.None).ConfigureAwait(false);
    }

    // Chunks go out only when full: flushing a partial one would only make more, smaller rows.
    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A state stream being written cannot be read.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A state stream is written forward only.");

    public override void SetLength(long value) => throw new NotSupportedException("A state stream is written forward only.");

    protected override void Dispose(bool disposing)
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        base.Dispose(disposing);
    }

    private async ValueTask FlushChunkAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        cancellationToken.ThrowIfCancellationRequested();
        await _writeChunkAsync(buffer.AsMemory(0, _filled), _cancellationToken).ConfigureAwait(false);
        Chunks++;
        _filled = 0;
    }

    private byte[] Buffer() => _buffer ?? throw new ObjectDisposedException(nameof(ChunkWriteStream), "The state stream is only valid during the write callback.");
}
