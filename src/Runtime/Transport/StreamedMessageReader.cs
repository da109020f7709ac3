using System.Buffers;
using System.Buffers.Binary;
using Hpf.Cluster.Runtime.Serialization;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Reads a framed message (<see cref="WireFrame"/>) of known length from a stream as it arrives: the head into a
/// pooled buffer and decoded at once, then the tail straight from the stream into the arrays the decoder
/// allocated. The bulk is copied once (network buffer to array, not via a message buffer), and the first
/// touch of each new array's memory, which costs page faults, overlaps the rest of the transfer.
/// </summary>
internal static class StreamedMessageReader
{
    private const int InitialHeadBuffer = 4096;

    public static async Task<T> ReadAsync<T>(Stream stream, long contentLength, GrainFactory? grainFactory, Func<WireReader, T> decode, CancellationToken cancellationToken)
    {
        if (contentLength < WireFrame.HeadLengthBytes)
        {
            throw new WireFormatException($"Message of {contentLength} bytes is shorter than a frame's head length.");
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(contentLength, InitialHeadBuffer));
        T value;
        WireReader reader;
        try
        {
            await ReadExactlyAsync(stream, buffer.AsMemory(0, WireFrame.HeadLengthBytes), cancellationToken).ConfigureAwait(false);
            var headLength = BinaryPrimitives.ReadInt32LittleEndian(buffer);
            if (headLength < 0 || headLength > contentLength - WireFrame.HeadLengthBytes)
            {
                throw new WireFormatException($"Frame head of {headLength} bytes does not fit in a message of {contentLength} bytes.");
            }
            var framed = WireFrame.HeadLengthBytes + headLength;
            if (framed > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(framed);
                buffer.AsSpan(0, WireFrame.HeadLengthBytes).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            await ReadExactlyAsync(stream, buffer.AsMemory(WireFrame.HeadLengthBytes, headLength), cancellationToken).ConfigureAwait(false);
            reader = new WireReader(buffer.AsMemory(0, framed), contentLength - framed) { GrainFactory = grainFactory };
            // Decoding checks that the arrays it names add up to exactly the tail the length announced.
            value = decode(reader);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        foreach (var array in reader.PendingArrays)
        {
            await ReadExactlyAsync(stream, new PrimitiveArrayMemory(array, Buffer.ByteLength(array)).Memory, cancellationToken).ConfigureAwait(false);
        }
        return value;
    }

    private static async ValueTask ReadExactlyAsync(Stream stream, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < destination.Length)
        {
            throw new WireFormatException($"Message truncated: the stream ended {destination.Length - read} bytes early.");
        }
    }
}
