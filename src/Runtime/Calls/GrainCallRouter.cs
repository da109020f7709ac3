using System.Diagnostics;
using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Placement;
using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// Takes a call to the silo that owns the grain under the current membership view: into the local activation
/// directory with the arguments as they are (no serialisation), or encoded over the silo link to the owner. When the
/// owner is unreachable or shutting down, the call waits for the view to change and is routed again, until its
/// timeout.
/// </summary>
internal sealed partial class GrainCallRouter : IGrainCallInvoker
{
    /// <summary>A call is forwarded at most this many times before the caller has to retry with a newer view.</summary>
    public const int MaxHops = 2;

    private static readonly TimeSpan RetryWait = TimeSpan.FromMilliseconds(250);

    private readonly IClusterMembershipView _view;
    private readonly ActivationDirectory? _directory;
    private readonly SiloTransport _transport;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger<GrainCallRouter> _logger;
    private readonly TimeSpan _callTimeout;
    private readonly GrainFactory _references;

    public GrainCallRouter(IClusterMembershipView view, SiloTransport transport, RuntimeMetrics metrics, IOptions<ClusterOptions> options, ILogger<GrainCallRouter> logger, ActivationDirectory? directory = null)
    {
        _view = view;
        _directory = directory;
        _transport = transport;
        _metrics = metrics;
        _logger = logger;
        _callTimeout = options.Value.CallTimeout;
        _references = new GrainFactory(this);
    }

    /// <summary>The factory whose references route through this router; decoded references are bound to it.</summary>
    internal GrainFactory References => _references;

    public async Task<object?> InvokeAsync(GrainReferenceTarget target, GrainMethodDescriptor method, object?[] arguments, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_callTimeout);
        try
        {
            return await RouteAsync(target.GrainId, target.PlacementHint, method, arguments, 0, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _metrics.FailedCall();
            throw new TimeoutException($"{target.GrainId.Type}.{method.Name} on grain '{target.GrainId.Key}' did not complete within {_callTimeout}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _metrics.FailedCall();
            throw;
        }
        finally
        {
            _metrics.CallCompleted(Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Routes a call made here or received from another silo (then <paramref name="hops"/> is above zero).</summary>
    internal async Task<object?> RouteAsync(GrainId grainId, SiloAddress? hint, GrainMethodDescriptor method, object?[] arguments, int hops, CancellationToken cancellationToken)
    {
        while (true)
        {
            var snapshot = _view.Snapshot;
            var owner = RendezvousPlacement.PickOwner(grainId, snapshot.ActiveSilos, hint);
            try
            {
                if (owner is null)
                {
                    throw new SiloUnavailableException("No silo is active in this silo's membership view.");
                }
                if (_directory is not null && owner == _view.Self)
                {
                    return await InvokeLocalAsync(grainId, method, arguments, cancellationToken).ConfigureAwait(false);
                }
                if (hops >= MaxHops)
                {
                    throw new SiloUnavailableException($"Call to {grainId} was forwarded {hops} times; the silos' views disagree.");
                }
                if (hops > 0)
                {
                    _metrics.ForwardedCall();
                }
                return await InvokeRemoteAsync(owner, grainId, hint, method, arguments, hops, cancellationToken).ConfigureAwait(false);
            }
            catch (SiloUnavailableException ex) when (hops == 0 && !cancellationToken.IsCancellationRequested)
            {
                // Only the original caller retries, so a forwarded call never multiplies into several.
                LogRetry(_logger, grainId, method.Name, owner?.ToString() ?? "(none)", ex.Message);
                await WaitForNewViewAsync(snapshot.Version, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<object?> InvokeLocalAsync(GrainId grainId, GrainMethodDescriptor method, object?[] arguments, CancellationToken cancellationToken)
    {
        _metrics.LocalCall();
        try
        {
            return await _directory!.InvokeAsync(grainId, method, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or SiloUnavailableException or GrainCallException))
        {
            throw new GrainCallException(grainId, method.Name, _view.Self.ToString(), ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex);
        }
    }

    private async Task<object?> InvokeRemoteAsync(SiloAddress owner, GrainId grainId, SiloAddress? hint, GrainMethodDescriptor method, object?[] arguments, int hops, CancellationToken cancellationToken)
    {
        _metrics.RemoteCall();
        using var writer = new WireWriter();
        CallMessageCodec.WriteRequest(writer, grainId, hint, method, arguments, hops);
        _metrics.MessageSerialized();
        ResponseBody body;
        try
        {
            body = await _transport.SendAsync(owner, writer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GrainCallException(grainId, method.Name, owner.ToString(), ex.GetType().FullName!, ex.Message, ex);
        }
        using (body)
        {
            return CallMessageCodec.ReadResponse(new WireReader(body.Memory) { GrainFactory = References }, grainId, method);
        }
    }

    private async Task WaitForNewViewAsync(long version, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(RetryWait);
        try
        {
            await _view.WaitForChangeAsync(version, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The view has not moved yet; routing again is still right (a shutting-down owner may have finished leaving).
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "Call {GrainId}.{Method} could not be served by {Owner} ({Reason}); routing again with the next view")]
    private static partial void LogRetry(ILogger logger, GrainId grainId, string method, string owner, string reason);
}
