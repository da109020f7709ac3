using System.Buffers.Binary;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Writes one message of a <see cref="LinkFrame"/> as segments. Between segments it checks
/// <paramref name="abort"/>: once that is cancelled it writes the abort marker and throws, so the receiver
/// drops the message and the connection stays usable.
/// </summary>
internal sealed class SegmentedMessageWriteStream(Stream inner, CancellationToken abort) : Stream
{
    private readonly byte[] _prefix = new byte[sizeof(int)];

    public bool Aborted { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (abort.IsCancellationRequested)
            {
                BinaryPrimitives.WriteInt32LittleEndian(_prefix, LinkFrame.AbortSegment);
                await inner.WriteAsync(_prefix, CancellationToken.None).ConfigureAwait(false);
                Aborted = true;
                throw new OperationCanceledException(abort);
            }
            var segment = buffer[..Math.Min(buffer.Length, LinkFrame.MaxSegmentBytes)];
            BinaryPrimitives.WriteInt32LittleEndian(_prefix, segment.Length);
            await inner.WriteAsync(_prefix, CancellationToken.None).ConfigureAwait(false);
            await inner.WriteAsync(segment, CancellationToken.None).ConfigureAwait(false);
            buffer = buffer[segment.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
