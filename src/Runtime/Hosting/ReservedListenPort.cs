using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// A free port picked for a silo configured with port 0, held (listening) until Kestrel takes its socket. The silo's
/// address (and so placement) must name the port before Kestrel starts; closing a probe socket and binding again later
/// would let any other socket on the machine (an outgoing connection's ephemeral port, another silo) take the port
/// in between, and the silo would fail to start with "address already in use".
/// </summary>
internal sealed class ReservedListenPort : IDisposable
{
    private readonly IPEndPoint _endpoint;
    private Socket? _socket;

    public ReservedListenPort(IPAddress address)
    {
        // Listening at once: .NET on Unix sets SO_REUSEADDR on every TCP bind, and two such sockets share a port
        // until one listens, so a socket merely bound would not keep another process's explicit bind out. Peers
        // that connect before Kestrel starts wait in the backlog; Kestrel's own Listen call then sets its backlog.
        var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(new IPEndPoint(address, 0));
        try
        {
            socket.Listen();
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _endpoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public int Port => _endpoint.Port;

    /// <summary>
    /// For <see cref="SocketTransportOptions.CreateBoundListenSocket"/>: the held socket the first time Kestrel binds
    /// this endpoint (Kestrel owns it from then on), a newly bound one for any other endpoint or a later bind.
    /// </summary>
    public Socket Bind(EndPoint endpoint)
    {
        if (endpoint is IPEndPoint ip && ip.Port == _endpoint.Port && ip.Address.Equals(_endpoint.Address))
        {
            var held = Interlocked.Exchange(ref _socket, null);
            if (held is not null)
            {
                return held;
            }
        }
        return SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
    }

    /// <summary>Closes the socket if Kestrel never took it (the silo was built but not started).</summary>
    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();
}
