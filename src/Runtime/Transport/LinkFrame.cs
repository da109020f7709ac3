using System.Buffers.Binary;
using System.Text;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// The silo link: one TCP (or TLS) connection from a caller to a silo, carrying many calls at once. Every frame
/// starts with <c>int32 length, byte kind, int64 callId</c> (little-endian). Control frames carry
/// <c>length</c> bytes of payload. <see cref="LinkFrameKind.Call"/> and <see cref="LinkFrameKind.Result"/> carry a
/// message of <c>length</c> bytes as segments, each <c>int32 count</c> then that many bytes; a count of
/// <see cref="AbortSegment"/> ends the message early, which is how a caller cancels a call it is still sending
/// without breaking the connection. A frame's bytes are never interleaved with another's.
/// </summary>
/// <remarks>
/// It replaced one HTTP/2 stream per call: on loopback a 240 KB call cost 0.8 ms against 0.2–0.3 ms framed,
/// and an empty call 120–150 µs against 40–50 µs, which is most of what two silos spent beyond one.
/// </remarks>
internal static class LinkFrame
{
    public const int HeaderBytes = sizeof(int) + sizeof(byte) + sizeof(long);

    /// <summary>Largest segment: a caller checks for cancellation between segments.</summary>
    public const int MaxSegmentBytes = 1024 * 1024;

    public const int AbortSegment = -1;

    /// <summary>Largest control frame a peer accepts (a Hello with a long id and secret).</summary>
    public const int MaxControlBytes = 64 * 1024;

    public static void WriteHeader(Span<byte> destination, int length, LinkFrameKind kind, long callId)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, length);
        destination[sizeof(int)] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(destination[(sizeof(int) + 1)..], callId);
    }

    public static (int Length, LinkFrameKind Kind, long CallId) ReadHeader(ReadOnlySpan<byte> source) =>
        (BinaryPrimitives.ReadInt32LittleEndian(source), (LinkFrameKind)source[sizeof(int)], BinaryPrimitives.ReadInt64LittleEndian(source[(sizeof(int) + 1)..]));

    /// <summary>Reads one frame header; false at a clean end of the stream before it.</summary>
    public static async ValueTask<(int Length, LinkFrameKind Kind, long CallId)?> TryReadHeaderAsync(Stream stream, byte[] scratch, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(scratch.AsMemory(0, HeaderBytes), HeaderBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }
        if (read < HeaderBytes)
        {
            throw new IOException("The connection ended inside a frame header.");
        }
        return ReadHeader(scratch);
    }

    /// <summary>Writes a control frame (header and payload) and flushes it.</summary>
    public static async ValueTask WriteControlAsync(Stream stream, LinkFrameKind kind, long callId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        WriteHeader(frame, payload.Length, kind, callId);
        payload.Span.CopyTo(frame.AsSpan(HeaderBytes));
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask<byte[]> ReadControlPayloadAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        if (length < 0 || length > MaxControlBytes)
        {
            throw new InvalidDataException($"Control frame of {length} bytes is over the limit of {MaxControlBytes}.");
        }
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    /// <summary>The Hello payload: cluster id and secret, each as <c>int32 byteCount</c> and UTF-8.</summary>
    public static byte[] EncodeHello(string clusterId, string secret)
    {
        var id = Encoding.UTF8.GetBytes(clusterId);
        var key = Encoding.UTF8.GetBytes(secret);
        var payload = new byte[8 + id.Length + key.Length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, id.Length);
        id.CopyTo(payload, 4);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4 + id.Length), key.Length);
        key.CopyTo(payload, 8 + id.Length);
        return payload;
    }

    /// <summary>Decodes a Hello payload; null fields when it is malformed, which the check treats as missing.</summary>
    public static (string? ClusterId, string? Secret) DecodeHello(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            return (null, null);
        }
        var idLength = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (idLength < 0 || idLength > payload.Length - 8)
        {
            return (null, null);
        }
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(4 + idLength)..]);
        if (keyLength != payload.Length - 8 - idLength)
        {
            return (null, null);
        }
        return (Encoding.UTF8.GetString(payload.Slice(4, idLength)), Encoding.UTF8.GetString(payload.Slice(8 + idLength, keyLength)));
    }
}
