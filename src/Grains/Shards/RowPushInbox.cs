using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The pushes a shard's next half-step waits for: the latest <see cref="RowPush"/> from each shard of the other side.
/// Pushes arrive on the callers' threads, possibly while the step is already waiting; the step takes them once every
/// shard's push of the run and version it expects is in. The rows are copied into the gathered table by the step
/// itself, not here, so a late push (of an abandoned run, say) can never write into rows a step is reading.
/// </summary>
internal sealed class RowPushInbox
{
    private readonly object _gate = new();
    private readonly RowPush?[] _latest;
    private TaskCompletionSource? _waiter;
    private long _waitToken;
    private long _waitVersion;

    public RowPushInbox(int senders) => _latest = new RowPush?[senders];

    /// <summary>Keeps the push as its sender's latest and wakes the waiting step when it was the last one missing.</summary>
    public void Accept(RowPush push)
    {
        if ((uint)push.FromShard >= (uint)_latest.Length)
            throw new ShardStateException($"a push from shard {push.FromShard} of the other side, which has {_latest.Length} shards");
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            var held = _latest[push.FromShard];
            // Two pushes of one run arrive in version order unless a call overtook another; the later version stands.
            if (held is not null && held.RunToken == push.RunToken && held.Version > push.Version) return;
            _latest[push.FromShard] = push;
            if (_waiter is not null && IsComplete(_waitToken, _waitVersion))
            {
                wake = _waiter;
                _waiter = null;
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>Every sender's push of run <paramref name="token"/> at <paramref name="version"/>, in sender order, once they are all in.</summary>
    public async Task<RowPush[]> WaitAsync(long token, long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                if (IsComplete(token, version)) return Array.ConvertAll(_latest, push => push!);
                _waitToken = token;
                _waitVersion = version;
                // The step goes on off the pushing thread: a push to several shards of one silo must not run their steps one after another on it.
                _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                arrived = _waiter.Task;
            }
            try
            {
                await arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate) _waiter = null;
                throw;
            }
        }
    }

    /// <summary>Forgets every push (the shard's parameters were restored: what it was pushed belongs to another run).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            Array.Clear(_latest);
        }
    }

    private bool IsComplete(long token, long version)
    {
        foreach (var push in _latest)
        {
            if (push is null || push.RunToken != token || push.Version != version) return false;
        }
        return true;
    }
}
