using System.Collections.Concurrent;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// The silo's end of one accepted silo link: reads call frames one after another (large array arguments
/// straight from the connection into their arrays, <see cref="StreamedMessageReader"/>), runs each call on the
/// thread pool so a long call does not hold up the next, and writes results back one frame at a time. A Cancel
/// frame, or the connection ending, cancels the calls' tokens. When the silo stops it says GoAway, answers calls
/// that still arrive "unavailable" (the caller routes them again) and lets the running ones finish.
/// </summary>
internal sealed partial class SiloCallSession(
    Stream input,
    Stream output,
    GrainCallRouter router,
    IClusterMembershipView view,
    RuntimeMetrics metrics,
    long maxMessageBytes,
    ILogger logger)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    // Filled and written only under the write lock.
    private readonly byte[] _resultHeader = new byte[LinkFrame.HeaderBytes];
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();
    private volatile bool _goingAway;

    public async Task RunAsync(CancellationToken closeRequested, CancellationToken closed)
    {
        using var stopping = closeRequested.UnsafeRegister(static state => ((SiloCallSession)state!).GoAway(), this);
        var header = new byte[LinkFrame.HeaderBytes];
        try
        {
            while (await LinkFrame.TryReadHeaderAsync(input, header, closed).ConfigureAwait(false) is { } frame)
            {
                switch (frame.Kind)
                {
                    case LinkFrameKind.Call:
                        await ReadCallAsync(frame.Length, frame.CallId, closed).ConfigureAwait(false);
                        break;
                    case LinkFrameKind.Cancel:
                        CancelRunning(frame.CallId);
                        break;
                    default:
                        throw new IOException($"A peer sent a {frame.Kind} frame on a call connection.");
                }
            }
        }
        finally
        {
            foreach (var callId in _running.Keys)
            {
                CancelRunning(callId);
            }
        }
    }

    private async Task ReadCallAsync(int length, long callId, CancellationToken closed)
    {
        if (length < 0)
        {
            throw new IOException($"A call frame announced {length} bytes.");
        }
        var body = new SegmentedMessageReadStream(input, length);
        if (length > maxMessageBytes)
        {
            await body.DrainAsync(closed).ConfigureAwait(false);
            if (!body.Aborted)
            {
                await RespondFailedAsync(callId, typeof(InvalidDataException).FullName!, $"Message of {length} bytes exceeds the limit of {maxMessageBytes}.", closed).ConfigureAwait(false);
            }
            return;
        }
        CallRequest call;
        try
        {
            call = await StreamedMessageReader.ReadAsync(body, length, router.References, CallMessageCodec.ReadRequest, closed).ConfigureAwait(false);
        }
        catch (MessageAbortedException)
        {
            // The caller cancelled while sending: the call never runs and nobody waits for an answer.
            return;
        }
        catch (Exception ex) when (ex is not (IOException or OperationCanceledException))
        {
            await body.DrainAsync(closed).ConfigureAwait(false);
            if (!body.Aborted)
            {
                LogUndecodable(logger, ex);
                await RespondFailedAsync(callId, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, closed).ConfigureAwait(false);
            }
            return;
        }
        metrics.Received(length);
        if (_goingAway)
        {
            using var unavailable = new WireWriter();
            CallMessageCodec.WriteUnavailable(unavailable, $"Silo {view.Self} is stopping.");
            await RespondAsync(callId, unavailable, closed).ConfigureAwait(false);
            return;
        }
        var cancellation = new CancellationTokenSource();
        _running[callId] = cancellation;
        _ = Task.Run(() => ServeAsync(callId, call, cancellation, closed), CancellationToken.None);
    }

    private async Task ServeAsync(long callId, CallRequest call, CancellationTokenSource cancellation, CancellationToken closed)
    {
        using var response = new WireWriter();
        try
        {
            var result = await router.RouteAsync(call.GrainId, call.PlacementHint, call.Method, call.Arguments, call.Hops + 1, cancellation.Token).ConfigureAwait(false);
            CallMessageCodec.WriteCompleted(response, call.Method, result);
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            // The caller gave up (cancelled, timed out or went away); nobody reads a result.
            Forget(callId, cancellation);
            return;
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
            response.Reset();
            CallMessageCodec.WriteFailed(response, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, view.Self.ToString());
        }
        Forget(callId, cancellation);
        await RespondAsync(callId, response, closed).ConfigureAwait(false);
    }

    private async Task RespondFailedAsync(long callId, string exceptionType, string message, CancellationToken closed)
    {
        using var response = new WireWriter();
        CallMessageCodec.WriteFailed(response, exceptionType, message, view.Self.ToString());
        await RespondAsync(callId, response, closed).ConfigureAwait(false);
    }

    /// <summary>Writes a Result frame. A connection that is gone cannot take it, and nobody waits for it then.</summary>
    private async Task RespondAsync(long callId, WireWriter response, CancellationToken closed)
    {
        var length = response.Length;
        try
        {
            await _writeLock.WaitAsync(closed).ConfigureAwait(false);
            try
            {
                LinkFrame.WriteHeader(_resultHeader, length, LinkFrameKind.Result, callId);
                await output.WriteAsync(_resultHeader, closed).ConfigureAwait(false);
                // Large arrays in a result go from their own memory to the connection, not through the message buffer.
                await response.WriteToAsync(new SegmentedMessageWriteStream(output, CancellationToken.None), closed).ConfigureAwait(false);
                await output.FlushAsync(closed).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
            metrics.MessageSerialized();
            metrics.Sent(length);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private void GoAway()
    {
        _goingAway = true;
        _ = Task.Run(async () =>
        {
            try
            {
                await _writeLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    await LinkFrame.WriteControlAsync(output, LinkFrameKind.GoAway, 0, ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        });
    }

    private void CancelRunning(long callId)
    {
        if (_running.TryGetValue(callId, out var cancellation))
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It finished as the cancel arrived.
            }
        }
    }

    private void Forget(long callId, CancellationTokenSource cancellation)
    {
        _running.TryRemove(callId, out _);
        cancellation.Dispose();
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "A call message could not be decoded")]
    private static partial void LogUndecodable(ILogger logger, Exception exception);
}
