using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Serves POST /runtime/call: checks the peer's cluster credentials, decodes the call, routes it (to a local
/// activation, or on to the owner if this silo's view says another silo owns the grain) and writes the result
/// or the failure. Cancelling the HTTP/2 stream cancels the grain call's token.
/// </summary>
internal sealed partial class SiloCallEndpoint(
    ClusterSecretValidator validator,
    GrainCallRouter router,
    IClusterMembershipView view,
    RuntimeMetrics metrics,
    IOptions<ClusterOptions> options,
    ILogger<SiloCallEndpoint> logger)
{
    private readonly long _maxMessageBytes = options.Value.MaxMessageBytes;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var check = validator.Check(request.Headers[ClusterHeaders.ClusterId], request.Headers[ClusterHeaders.ClusterSecret]);
        if (check != CredentialCheck.Accepted)
        {
            // Log who knocked, never what they presented.
            LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", check);
            context.Response.StatusCode = check == CredentialCheck.Missing ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            return;
        }

        var aborted = context.RequestAborted;
        using var response = new WireWriter();
        CallRequest? call = null;
        try
        {
            call = await ReadCallAsync(request, aborted).ConfigureAwait(false);
            var result = await router.RouteAsync(call.GrainId, call.PlacementHint, call.Method, call.Arguments, call.Hops + 1, aborted).ConfigureAwait(false);
            CallMessageCodec.WriteCompleted(response, call.Method, result);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            // The caller gave up (cancelled or timed out), possibly mid-body; nobody reads a response.
            return;
        }
        catch (Exception ex) when (call is null && ex is IOException or OperationCanceledException)
        {
            // The body did not arrive whole: the caller went away (its reset can beat RequestAborted) or Kestrel
            // refused the body. Kestrel answers or resets the stream, as for any body it could not deliver.
            throw;
        }
        catch (SiloUnavailableException ex)
        {
            response.Reset();
            CallMessageCodec.WriteUnavailable(response, ex.Message);
        }
        catch (GrainCallException ex)
        {
            response.Reset();
            CallMessageCodec.WriteFailed(response, ex.RemoteExceptionType, ex.RemoteMessage, ex.Silo);
        }
        catch (Exception ex)
        {
            if (call is null)
            {
                LogUndecodable(logger, ex);
            }
            response.Reset();
            CallMessageCodec.WriteFailed(response, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, view.Self.ToString());
        }

        metrics.MessageSerialized();
        metrics.Sent(response.Length);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ClusterHeaders.ContentType;
        context.Response.ContentLength = response.Length;
        // Large arrays in a result go from their own memory to the stream, not through the message buffer.
        await response.WriteToAsync(context.Response.Body, aborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Decodes the call while its body arrives: with a known length, large array arguments are read from the
    /// stream straight into their arrays (<see cref="StreamedMessageReader"/>); without one, the body is read whole.
    /// </summary>
    private async Task<CallRequest> ReadCallAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is not { } length)
        {
            using var body = await ResponseBody.ReadAsync(request.Body, null, _maxMessageBytes, cancellationToken).ConfigureAwait(false);
            metrics.Received(body.Length);
            return CallMessageCodec.ReadRequest(new WireReader(body.Memory) { GrainFactory = router.References });
        }
        if (length > _maxMessageBytes)
        {
            throw new InvalidDataException($"Message of {length} bytes exceeds the limit of {_maxMessageBytes}.");
        }
        var call = await StreamedMessageReader.ReadAsync(request.Body, length, router.References, CallMessageCodec.ReadRequest, cancellationToken).ConfigureAwait(false);
        metrics.Received(length);
        return call;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Refused a call from {Remote}: cluster credentials {Check}")]
    private static partial void LogRefused(ILogger logger, string remote, CredentialCheck check);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "A call message could not be decoded")]
    private static partial void LogUndecodable(ILogger logger, Exception exception);
}
