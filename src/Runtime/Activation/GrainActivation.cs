using Hpf.Cluster.Runtime.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Activation;

/// <summary>
/// One live grain instance and its call queue. A single pump drains the queue, awaiting each call before
/// starting the next, so a non-reentrant grain sees one call at a time in arrival order; reentrant calls start
/// as soon as they arrive. A closed activation refuses new calls but serves every call already queued
/// before it runs <see cref="Grain.OnDeactivateAsync"/>.
/// </summary>
internal sealed partial class GrainActivation
{
    private readonly object _gate = new();
    private readonly Queue<GrainCallWorkItem> _queue = new();
    private readonly GrainClassDescriptor _class;
    private readonly ActivationDirectory _directory;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Not disposed: it has no timer, and a Cancel racing a Dispose would throw.
    private readonly CancellationTokenSource _closingSource = new();
    private Grain? _grain;
    private bool _activated;
    private bool _pumping;
    private bool _closing;
    private bool _deactivationStarted;
    private int _running;
    private long _lastActiveTicks = Environment.TickCount64;
    private long _keepAliveUntilTicks;

    public GrainActivation(GrainId grainId, GrainClassDescriptor grainClass, ActivationDirectory directory, RuntimeMetrics metrics, ILogger logger)
    {
        GrainId = grainId;
        _class = grainClass;
        _directory = directory;
        _metrics = metrics;
        _logger = logger;
    }

    public GrainId GrainId { get; }

    /// <summary>Completes when OnDeactivateAsync has run (or activation failed) and the activation left the directory.</summary>
    public Task Deactivated => _deactivated.Task;

    /// <summary>Queues the call, or returns false when the activation is closing and the caller must use a new one.</summary>
    public bool TryEnqueue(GrainCallWorkItem item)
    {
        var runNow = false;
        var startPump = false;
        lock (_gate)
        {
            if (_closing)
            {
                return false;
            }
            _lastActiveTicks = Environment.TickCount64;
            if (_activated && (_class.IsReentrant || item.Method.IsReentrant))
            {
                // Interleaving calls skip the queue, or they would wait behind the call they may interleave with.
                _running++;
                runNow = true;
            }
            else
            {
                _queue.Enqueue(item);
                _metrics.QueuedCallAdded();
                startPump = !_pumping;
                _pumping = true;
            }
        }
        if (runNow)
        {
            _ = RunAsync(item);
        }
        else if (startPump)
        {
            _ = Task.Run(PumpAsync);
        }
        return true;
    }

    /// <summary>
    /// Closes the activation if no call has been queued or run since <paramref name="idleSinceTicks"/> and none is in
    /// progress, checked and decided under one lock so a call arriving meanwhile keeps it alive.
    /// </summary>
    public bool TryCloseIfIdleSince(long idleSinceTicks)
    {
        bool start;
        lock (_gate)
        {
            if (_closing || _pumping || _running > 0 || _queue.Count > 0 || _lastActiveTicks > idleSinceTicks
                || Environment.TickCount64 < _keepAliveUntilTicks)
            {
                return false;
            }
            _closing = true;
            start = TryClaimDeactivation();
        }
        SignalClosing();
        if (start)
        {
            _ = Task.Run(DeactivateAsync);
        }
        return true;
    }

    /// <summary>Refuses new calls and deactivates once the queued and running ones finish.</summary>
    public Task CloseAsync()
    {
        bool start;
        lock (_gate)
        {
            _closing = true;
            start = TryClaimDeactivation();
        }
        SignalClosing();
        if (start)
        {
            _ = Task.Run(DeactivateAsync);
        }
        return Deactivated;
    }

    /// <summary>Cancels <see cref="Grain.ActivationClosing"/>, its callbacks off this thread (they may run grain code).</summary>
    private void SignalClosing()
    {
        if (!_closingSource.IsCancellationRequested) _ = _closingSource.CancelAsync();
    }

    private void DelayDeactivation(TimeSpan timeSpan)
    {
        lock (_gate)
        {
            _keepAliveUntilTicks = timeSpan <= TimeSpan.Zero ? 0 : Environment.TickCount64 + (long)timeSpan.TotalMilliseconds;
        }
    }

    private bool TryClaimDeactivation()
    {
        if (!_closing || _deactivationStarted || _pumping || _running > 0 || _queue.Count > 0)
        {
            return false;
        }
        _deactivationStarted = true;
        return true;
    }

    private async Task PumpAsync()
    {
        if (!_activated && !await ActivateAsync().ConfigureAwait(false))
        {
            return;
        }
        while (true)
        {
            GrainCallWorkItem item;
            bool interleave;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _pumping = false;
                    _lastActiveTicks = Environment.TickCount64;
                    if (TryClaimDeactivation())
                    {
                        break;
                    }
                    return;
                }
                item = _queue.Dequeue();
                _running++;
                interleave = _class.IsReentrant || item.Method.IsReentrant;
            }
            _metrics.QueuedCallRemoved();
            if (interleave)
            {
                _ = RunAsync(item);
            }
            else
            {
                await RunAsync(item).ConfigureAwait(false);
            }
        }
        await DeactivateAsync().ConfigureAwait(false);
    }

    private async Task<bool> ActivateAsync()
    {
        try
        {
            _grain = _class.Create(_directory.Services);
            _grain.Attach(new GrainActivationContext(GrainId, _directory.GrainFactory, _directory.Silo, _directory.Services, () => _ = CloseAsync(), DelayDeactivation,
                _closingSource.Token));
            using var timeout = new CancellationTokenSource(_directory.Options.HookTimeout);
            await _grain.OnActivateAsync(timeout.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _activated = true;
            }
            _metrics.ActivationCreated();
            LogActivated(_logger, GrainId, _class.ClassType.Name);
            return true;
        }
        catch (Exception ex)
        {
            // A grain that cannot activate fails the calls that were waiting for it; the next call tries afresh.
            LogActivationFailed(_logger, ex, GrainId);
            List<GrainCallWorkItem> failed;
            lock (_gate)
            {
                _closing = true;
                _deactivationStarted = true;
                _pumping = false;
                failed = [.. _queue];
                _queue.Clear();
            }
            foreach (var item in failed)
            {
                _metrics.QueuedCallRemoved();
                item.Completion.TrySetException(ex);
            }
            _directory.Remove(this);
            _deactivated.TrySetResult();
            return false;
        }
    }

    private async Task RunAsync(GrainCallWorkItem item)
    {
        try
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Completion.TrySetCanceled(item.CancellationToken);
                return;
            }
            var result = await item.Method.Invoke(_grain!, item.Arguments, item.CancellationToken).ConfigureAwait(false);
            item.Completion.TrySetResult(result);
        }
        catch (OperationCanceledException) when (item.CancellationToken.IsCancellationRequested)
        {
            item.Completion.TrySetCanceled(item.CancellationToken);
        }
        catch (Exception ex)
        {
            item.Completion.TrySetException(ex);
        }
        finally
        {
            bool start;
            lock (_gate)
            {
                _running--;
                _lastActiveTicks = Environment.TickCount64;
                start = TryClaimDeactivation();
            }
            if (start)
            {
                _ = Task.Run(DeactivateAsync);
            }
        }
    }

    private async Task DeactivateAsync()
    {
        try
        {
            if (_activated)
            {
                using var timeout = new CancellationTokenSource(_directory.Options.HookTimeout);
                await _grain!.OnDeactivateAsync(timeout.Token).ConfigureAwait(false);
                _metrics.ActivationRemoved();
                LogDeactivated(_logger, GrainId);
            }
        }
        catch (Exception ex)
        {
            LogDeactivationFailed(_logger, ex, GrainId);
        }
        finally
        {
            _directory.Remove(this);
            _deactivated.TrySetResult();
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Activated {GrainId} as {GrainClass}")]
    private static partial void LogActivated(ILogger logger, GrainId grainId, string grainClass);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Activation of {GrainId} failed")]
    private static partial void LogActivationFailed(ILogger logger, Exception exception, GrainId grainId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Deactivated {GrainId}")]
    private static partial void LogDeactivated(ILogger logger, GrainId grainId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "OnDeactivateAsync of {GrainId} failed")]
    private static partial void LogDeactivationFailed(ILogger logger, Exception exception, GrainId grainId);
}
