using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// A read-only view for processes that call grains without being silos (clients, tools): it re-reads the
/// membership table on an interval and lists the Active silos. It never writes, votes or heart-beats.
/// </summary>
public sealed class MembershipTableView : IClusterMembershipView, IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private ClusterMembershipSnapshot _snapshot = ClusterMembershipSnapshot.Empty;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public MembershipTableView(IMembershipTable table, TimeSpan refreshInterval, SiloAddress? self = null)
    {
        _table = table;
        _interval = refreshInterval;
        Self = self ?? new SiloAddress("client", 0, 0);
    }

    /// <summary>A placeholder address: a client hosts no grains, so no placement ever picks it.</summary>
    public SiloAddress Self { get; }

    public ClusterMembershipSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public IReadOnlyList<SiloAddress> ActiveSilos => Snapshot.ActiveSilos;

    public long Version => Snapshot.Version;

    public event EventHandler<ClusterMembershipChange>? Changed;

    /// <summary>Reads the table once (so the first call already has a view), then keeps refreshing in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Idempotent: the client may be up before any silo has created the schema.
        await _table.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var table = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        var active = table.Rows.Where(r => r.Entry.Status == SiloStatus.Active).Select(r => r.Entry.SiloAddress).Order().ToList();
        ClusterMembershipChange? change = null;
        TaskCompletionSource? changed = null;
        lock (_gate)
        {
            var previous = _snapshot;
            if (!previous.ActiveSilos.SequenceEqual(active))
            {
                _snapshot = new ClusterMembershipSnapshot(Math.Max(previous.Version + 1, table.Version.Version), active);
                change = new ClusterMembershipChange(_snapshot, active.Except(previous.ActiveSilos).ToList(), previous.ActiveSilos.Except(active).ToList());
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        if (change is not null)
        {
            changed!.TrySetResult();
            Changed?.Invoke(this, change);
        }
    }

    public async Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_snapshot.Version > afterVersion)
                {
                    return _snapshot;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A table that cannot be read right now leaves the last view in place; the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
