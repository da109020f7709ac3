using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The pushes a shard's next half-step waits for: the latest <see cref="RowPush"/> from each shard of the other side
/// (all its parts, when its rows came in several). Pushes arrive on the callers' threads, possibly while the step is
/// already waiting; the step takes them once every shard's push of the run and version it expects is in, and the inbox
/// lets go of them then, so their arrays live no longer than a fetch's would. The rows are copied into the gathered
/// table by the step itself, not here, so a late push (of an abandoned run, say) can never write into rows a step is
/// reading.
/// </summary>
internal sealed class RowPushInbox
{
    private readonly object _gate = new();
    // The parts in of each sender's latest push.
    private readonly List<RowPush>?[] _latest;
    // Run and version of each sender's latest push, kept after the push itself is taken, to know a late older one.
    private readonly (long Token, long Version)?[] _seen;
    private TaskCompletionSource? _waiter;
    private long _waitToken;
    private long _waitVersion;

    public RowPushInbox(int senders)
    {
        _latest = new List<RowPush>?[senders];
        _seen = new (long, long)?[senders];
    }

    /// <summary>Keeps the push (or part) as its sender's latest and wakes the waiting step when it was the last one missing.</summary>
    public void Accept(RowPush push)
    {
        if ((uint)push.FromShard >= (uint)_latest.Length)
            throw new ShardStateException($"a push from shard {push.FromShard} of the other side, which has {_latest.Length} shards");
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            // Two pushes of one run arrive in version order unless a call overtook another; the later version stands.
            if (_seen[push.FromShard] is { } seen && seen.Token == push.RunToken && seen.Version > push.Version) return;
            var parts = _latest[push.FromShard];
            if (parts is null || parts.Count == 0 || parts[0].RunToken != push.RunToken || parts[0].Version != push.Version)
                _latest[push.FromShard] = parts = [];
            parts.Add(push);
            _seen[push.FromShard] = (push.RunToken, push.Version);
            if (_waiter is not null && IsComplete(_waitToken, _waitVersion))
            {
                wake = _waiter;
                _waiter = null;
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>
    /// Every sender's push of run <paramref name="token"/> at <paramref name="version"/>, in sender order, once they
    /// are all in: each as its parts in row order (one part for a push that fitted one message). The parts are not
    /// copied into one array: the step fills its table from each at its place, so a large push costs no allocation.
    /// </summary>
    public async Task<RowPush[][]> WaitAsync(long token, long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                if (IsComplete(token, version))
                {
                    var taken = Array.ConvertAll(_latest, parts => InRowOrder(parts!));
                    Array.Clear(_latest);
                    return taken;
                }
                _waitToken = token;
                _waitVersion = version;
                // The step goes on off the pushing thread: a push to several shards of one silo must not run their steps one after another on it.
                _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                arrived = _waiter.Task;
            }
            try
            {
                await arrived.WaitAsync(cancellationToken);
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
            Array.Clear(_seen);
        }
    }

    private bool IsComplete(long token, long version)
    {
        foreach (var parts in _latest)
        {
            if (parts is not { Count: > 0 } || parts[0].RunToken != token || parts[0].Version != version || parts.Count < parts[0].Parts) return false;
        }
        return true;
    }

    private static RowPush[] InRowOrder(List<RowPush> parts)
    {
        var ordered = parts.ToArray();
        if (ordered.Length > 1) Array.Sort(ordered, static (a, b) => a.FirstRow.CompareTo(b.FirstRow));
        return ordered;
    }
}
