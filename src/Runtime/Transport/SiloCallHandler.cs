using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Serves silo links (<see cref="LinkFrame"/>) on the silo port, as a Kestrel connection handler: checks the
/// peer's cluster credentials once per connection, then serves its calls (<see cref="SiloCallSession"/>).
/// </summary>
internal sealed partial class SiloCallHandler(
    ClusterSecretValidator validator,
    GrainCallRouter router,
    IClusterMembershipView view,
    RuntimeMetrics metrics,
    IOptions<ClusterOptions> options,
    ILogger<SiloCallHandler> logger) : ConnectionHandler
{
    /// <summary>How long a new connection may take to present its credentials.</summary>
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = new LinkInputStream(connection.Transport.Input);
        // Coalesces each frame's header, segment counts and small messages into one write to the pipe.
        var output = new BufferedStream(connection.Transport.Output.AsStream(leaveOpen: true), 64 * 1024);
        var remote = connection.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            if (!await AcceptAsync(input, output, remote, connection.ConnectionClosed).ConfigureAwait(false))
            {
                return;
            }
            var session = new SiloCallSession(input, output, router, view, metrics, options.Value.MaxMessageBytes, logger);
            // Kestrel signals a graceful stop through this feature; without it the connection just closes.
            var lifetime = connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>();
            await session.RunAsync(lifetime?.ConnectionClosedRequested ?? CancellationToken.None, connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or Kestrel aborted the connection: its calls were cancelled, nobody reads a result.
        }
    }

    /// <summary>Reads the Hello and answers Welcome or Refused; the secret is compared, never logged.</summary>
    private async Task<bool> AcceptAsync(Stream input, Stream output, string remote, CancellationToken closed)
    {
        using var hello = CancellationTokenSource.CreateLinkedTokenSource(closed);
        hello.CancelAfter(HelloTimeout);
        var header = new byte[LinkFrame.HeaderBytes];
        if (await LinkFrame.TryReadHeaderAsync(input, header, hello.Token).ConfigureAwait(false) is not { } frame)
        {
            return false;
        }
        var check = CredentialCheck.Missing;
        if (frame.Kind == LinkFrameKind.Hello && frame.Length is >= 0 and <= LinkFrame.MaxControlBytes)
        {
            var payload = await LinkFrame.ReadControlPayloadAsync(input, frame.Length, hello.Token).ConfigureAwait(false);
            var (clusterId, secret) = LinkFrame.DecodeHello(payload);
            check = validator.Check(clusterId, secret);
        }
        if (check == CredentialCheck.Accepted)
        {
            await LinkFrame.WriteControlAsync(output, LinkFrameKind.Welcome, 0, ReadOnlyMemory<byte>.Empty, closed).ConfigureAwait(false);
            return true;
        }
        // Log who knocked, never what they presented.
        LogRefused(logger, remote, check);
        await LinkFrame.WriteControlAsync(output, LinkFrameKind.Refused, 0, new[] { (byte)check }, closed).ConfigureAwait(false);
        return false;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Refused a connection from {Remote}: cluster credentials {Check}")]
    private static partial void LogRefused(ILogger logger, string remote, CredentialCheck check);
}
