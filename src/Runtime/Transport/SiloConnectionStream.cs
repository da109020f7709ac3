using System.Net.Sockets;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// The socket stream of one connection to a silo, which knows whether that silo has ever sent a byte on it. A silo
/// answers a new HTTP/2 connection with its settings before it reads any call, so a connection that fails before
/// its first byte from the silo carried no call that ran: its failure is raised as <see cref="SiloSilentException"/>
/// and the call is safe to route again. This is the window after a silo process is killed, when the kernel still
/// completes connections to its port and then resets them.
/// </summary>
internal sealed class SiloConnectionStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
{
    private bool _answered;

    // Once answered, reads go straight to the socket: no extra state machine per read on the hot path.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _answered ? base.ReadAsync(buffer, cancellationToken) : ReadBeforeAnswerAsync(buffer, cancellationToken);

    private async ValueTask<int> ReadBeforeAnswerAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read;
        try
        {
            read = await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new SiloSilentException(ex);
        }
        // The handler reads zero bytes to wait for data without holding a buffer; only a byte counts as an answer.
        if (read == 0 && buffer.Length > 0)
        {
            throw new SiloSilentException(null);
        }
        _answered = read > 0;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Opens a connection the way the handler's default does (no Nagle delay: calls are small and latency-bound).</summary>
    public static async ValueTask<Stream> ConnectAsync(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new SiloConnectionStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
