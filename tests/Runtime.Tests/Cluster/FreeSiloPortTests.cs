using System.Net;
using System.Net.Sockets;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime.Tests.Cluster;

/// <summary>
/// A silo configured with port 0 names its port before Kestrel binds it. The port must stay its own in between:
/// CI once lost one to another socket and the silo failed to start with "address already in use".
/// </summary>
public sealed class FreeSiloPortTests
{
    [Fact]
    public async Task The_port_picked_for_port_0_stays_taken_until_the_silo_listens_on_it()
    {
        var board = new TestMembershipBoard();
        await using var silo = Create(board);
        var port = silo.Address.Port;
        Assert.NotEqual(0, port);

        // Between building and starting, nobody else may bind the port the silo's address already names.
        using (var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = Assert.Throws<SocketException>(() => intruder.Bind(new IPEndPoint(IPAddress.Loopback, port)));
            Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
        }

        await silo.StartAsync(CancellationToken.None);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        Assert.True(client.Connected);
    }

    [Fact]
    public async Task A_silo_built_but_never_started_gives_its_port_back()
    {
        var board = new TestMembershipBoard();
        int port;
        await using (var silo = Create(board))
        {
            port = silo.Address.Port;
        }
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    private static SiloHost Create(TestMembershipBoard board) => SiloHost.Create(
        WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory }),
        new SiloEndpointOptions { BindAddress = "127.0.0.1", Port = 0 },
        new ClusterOptions { ClusterId = "free-port", ClusterSecret = "free-port-secret-0123456789abcdef" },
        (services, local) =>
        {
            board.Add(local.Address);
            services.AddSingleton(board.ViewFor(local.Address));
            services.Configure<SiloShutdownOptions>(o => o.DrainTime = TimeSpan.Zero);
        });
}
