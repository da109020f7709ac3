using System.Buffers;
using System.IO.Pipelines;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// An accepted silo link's input, read from Kestrel's pipe. A read waits until the pipe holds all it asks for (up to
/// <see cref="MaxWaitBytes"/>) before it wakes, where <see cref="PipeReader.AsStream"/> returns whatever is there,
/// so a reader that keeps up with the socket wakes for each block it delivers (Kestrel's own blocks are 4 KB: up to
/// 40 wake-ups, each a thread-pool hop, for a 160 KB push; a silo's are 64 KB, <see cref="Hosting.SiloKestrelMemoryPool"/>).
/// </summary>
/// <remarks>
/// Waiting for the whole request is safe only because every read on a link asks for bytes its peer has committed
/// to: the rest of a frame header, a segment's count or the segment itself (<see cref="SegmentedMessageReadStream"/>).
/// At the end of the connection a read returns what is left, and 0 once nothing is.
/// </remarks>
internal sealed class LinkInputStream(PipeReader reader) : Stream
{
    /// <summary>Well under the transport's pause threshold (1 MB), so a wait never stops the socket from filling the pipe.</summary>
    public const int MaxWaitBytes = 256 * 1024;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        var result = await reader.ReadAtLeastAsync(Math.Min(buffer.Length, MaxWaitBytes), cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The read of a silo link was cancelled.");
        }
        var available = result.Buffer;
        var count = (int)Math.Min(available.Length, buffer.Length);
        available.Slice(0, count).CopyTo(buffer.Span);
        reader.AdvanceTo(available.GetPosition(count));
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
