using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>
/// How the transport classifies a connection that fails: before the silo has answered the caller's Hello or while a
/// call is still being written (the silo cannot have run it, so it may be routed again) or after a call was sent (it
/// may have run, so it is reported). A killed silo's port does the first for a moment, because the kernel still
/// completes connections to it and then resets them.
/// </summary>
public sealed class SiloTransportTests : IAsyncLifetime
{
    // A Welcome frame: what a silo answers a caller's Hello with (length 0, kind 2, call id 0).
    private static readonly byte[] WelcomeFrame = [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public Task InitializeAsync()
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    private SiloAddress Silo => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port, 1);

    private SiloTransport NewTransport() => new(
        Options.Create(new ClusterOptions { ClusterId = "test", ClusterSecret = "secret" }),
        new RuntimeMetrics(_services.GetRequiredService<IMeterFactory>()));

    [Fact]
    public async Task A_connection_reset_before_the_silo_answers_means_the_silo_is_unavailable()
    {
        await using var transport = NewTransport();
        var peer = AcceptOnceAsync(async socket =>
        {
            await ReadSomeAsync(socket);
            Reset(socket);
        });

        await Assert.ThrowsAsync<SiloUnavailableException>(() => transport.SendAsync(Silo, Message(), CancellationToken.None));
        await peer;
    }

    [Fact]
    public async Task A_connection_closed_before_the_silo_answers_means_the_silo_is_unavailable()
    {
        await using var transport = NewTransport();
        var peer = AcceptOnceAsync(async socket =>
        {
            await ReadSomeAsync(socket);
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });

        await Assert.ThrowsAsync<SiloUnavailableException>(() => transport.SendAsync(Silo, Message(), CancellationToken.None));
        await peer;
    }

    [Fact]
    public async Task A_connection_reset_after_the_silo_answered_is_a_failure_that_may_have_run_the_call()
    {
        await using var transport = NewTransport();
        var peer = AcceptOnceAsync(async socket =>
        {
            await ReadSomeAsync(socket);
            await socket.SendAsync(WelcomeFrame);
            // The call's frame: the silo has the call when it dies.
            await ReadSomeAsync(socket);
            await Task.Delay(200);
            Reset(socket);
        });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => transport.SendAsync(Silo, Message(), CancellationToken.None));

        Assert.IsType<IOException>(ex);
        await peer;
    }

    [Fact]
    public async Task A_connection_reset_while_the_call_is_still_being_written_means_the_silo_is_unavailable()
    {
        await using var transport = NewTransport();
        var peer = AcceptOnceAsync(async socket =>
        {
            await ReadSomeAsync(socket);
            await socket.SendAsync(WelcomeFrame);
            // A few kilobytes of a call far larger than the sockets' buffers: the silo dies before it has the call.
            await ReadSomeAsync(socket);
            Reset(socket);
        });
        using var large = new WireWriter();
        large.WriteRaw(new byte[16 << 20]);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => transport.SendAsync(Silo, large, CancellationToken.None));

        Assert.IsType<SiloUnavailableException>(ex);
        await peer;
    }

    private static WireWriter Message()
    {
        var writer = new WireWriter();
        writer.WriteInt32(42);
        return writer;
    }

    private Task AcceptOnceAsync(Func<Socket, Task> behave) => Task.Run(async () =>
    {
        using var socket = await _listener.AcceptSocketAsync();
        await behave(socket);
    });

    private static async Task ReadSomeAsync(Socket socket)
    {
        var buffer = new byte[4096];
        await socket.ReceiveAsync(buffer);
    }

    private static void Reset(Socket socket)
    {
        // Linger zero makes close send RST instead of FIN, as the kernel does for a killed process's connections.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    public async Task DisposeAsync()
    {
        _listener.Stop();
        await _services.DisposeAsync();
    }
}
