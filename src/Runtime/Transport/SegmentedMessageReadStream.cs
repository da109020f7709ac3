using System.Buffers.Binary;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Reads one message of <paramref name="length"/> bytes that a <see cref="LinkFrame"/> carries as segments,
/// ending at the message's end. A message its sender aborted throws <see cref="MessageAbortedException"/>
/// once the marker is read; <see cref="DrainAsync"/> skips whatever a failed decode left unread, so the
/// connection's next frame is read from its start either way.
/// </summary>
internal sealed class SegmentedMessageReadStream(Stream inner, long length) : Stream
{
    private readonly byte[] _prefix = new byte[sizeof(int)];
    private long _remaining = length;
    private int _segmentRemaining;

    public bool Aborted { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }
        if (Aborted)
        {
            throw new MessageAbortedException();
        }
        if (_segmentRemaining == 0)
        {
            await inner.ReadExactlyAsync(_prefix, cancellationToken).ConfigureAwait(false);
            var count = BinaryPrimitives.ReadInt32LittleEndian(_prefix);
            if (count == LinkFrame.AbortSegment)
            {
                Aborted = true;
                throw new MessageAbortedException();
            }
            if (count <= 0 || count > LinkFrame.MaxSegmentBytes || count > _remaining)
            {
                throw new IOException($"A message segment of {count} bytes does not fit the {_remaining} bytes the frame has left.");
            }
            _segmentRemaining = count;
        }
        var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _segmentRemaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("The connection ended inside a message.");
        }
        _segmentRemaining -= read;
        _remaining -= read;
        return read;
    }

    /// <summary>Reads and discards the rest of the message (nothing when its sender aborted it).</summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[(int)Math.Min(_remaining, 64 * 1024)];
        try
        {
            while (_remaining > 0 && !Aborted)
            {
                await ReadAsync(scratch, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (MessageAbortedException)
        {
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
