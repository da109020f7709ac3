using System.Buffers.Binary;
using System.Net.Sockets;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Transport;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>
/// A silo link driven by hand, frame by frame, to test what a silo does with what the transport never sends:
/// no credentials, a truncated message, a message abandoned half-way.
/// </summary>
internal sealed class RawSiloLink : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawSiloLink(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawSiloLink> ConnectAsync(SiloAddress silo)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(silo.Host, silo.Port);
        return new RawSiloLink(socket);
    }

    /// <summary>Connects and presents the credentials; fails the test unless the silo answers Welcome.</summary>
    public static async Task<RawSiloLink> ConnectAsync(SiloAddress silo, string clusterId, string secret)
    {
        var link = await ConnectAsync(silo);
        await link.SendHelloAsync(clusterId, secret);
        var (kind, _, _) = await link.ReadFrameAsync();
        Assert.Equal(LinkFrameKind.Welcome, kind);
        return link;
    }

    public Task SendHelloAsync(string clusterId, string secret) =>
        LinkFrame.WriteControlAsync(_stream, LinkFrameKind.Hello, 0, LinkFrame.EncodeHello(clusterId, secret), CancellationToken.None).AsTask();

    /// <summary>
    /// Sends a Call frame announcing <paramref name="message"/>'s length, in one segment. With
    /// <paramref name="send"/> only that many bytes go; then the message is aborted if <paramref name="abort"/>,
    /// or simply left unfinished.
    /// </summary>
    public async Task SendCallAsync(long callId, byte[] message, int? send = null, bool abort = false)
    {
        // One write for the whole frame: a silo that refuses the link after the header cannot break it half-way.
        using var frame = new MemoryStream();
        var header = new byte[LinkFrame.HeaderBytes];
        LinkFrame.WriteHeader(header, message.Length, LinkFrameKind.Call, callId);
        frame.Write(header);
        var remaining = message.AsMemory(0, send ?? message.Length);
        while (!remaining.IsEmpty)
        {
            var segment = remaining[..Math.Min(remaining.Length, LinkFrame.MaxSegmentBytes)];
            WriteInt32(frame, segment.Length);
            frame.Write(segment.Span);
            remaining = remaining[segment.Length..];
        }
        if (abort)
        {
            WriteInt32(frame, LinkFrame.AbortSegment);
        }
        await _stream.WriteAsync(frame.GetBuffer().AsMemory(0, (int)frame.Length));
        await _stream.FlushAsync();
    }

    /// <summary>Reads the next frame: its kind, call id and payload (a segmented message joined up).</summary>
    public async Task<(LinkFrameKind Kind, long CallId, byte[] Payload)> ReadFrameAsync()
    {
        var header = new byte[LinkFrame.HeaderBytes];
        var frame = await LinkFrame.TryReadHeaderAsync(_stream, header, CancellationToken.None) ?? throw new EndOfStreamException("The silo closed the link.");
        var payload = new byte[frame.Length];
        if (frame.Kind is LinkFrameKind.Result)
        {
            await new SegmentedMessageReadStream(_stream, frame.Length).ReadExactlyAsync(payload);
        }
        else
        {
            await _stream.ReadExactlyAsync(payload);
        }
        return (frame.Kind, frame.CallId, payload);
    }

    /// <summary>True when the silo has closed the link (reads reach its end).</summary>
    public async Task<bool> ClosedBySiloAsync()
    {
        var buffer = new byte[1];
        try
        {
            return await _stream.ReadAsync(buffer) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The silo closed or reset the link first.
        }
        return _stream.DisposeAsync();
    }
}
