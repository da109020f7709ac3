using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Testing;

/// <summary>
/// A membership every silo of an in-process cluster shares, changed by the test itself: a silo is active from
/// <see cref="Add"/> until <see cref="Remove"/>, and every view sees a change at once. Lets runtime tests set up
/// exact views without the timing of heartbeats and votes.
/// </summary>
public sealed class TestMembershipBoard
{
    private readonly object _gate = new();
    private ClusterMembershipSnapshot _snapshot = new(0, []);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClusterMembershipSnapshot Snapshot => Volatile.Read(ref _snapshot);

    internal event EventHandler<ClusterMembershipChange>? Changed;

    public void Add(SiloAddress silo) => Update(silo, add: true);

    public void Remove(SiloAddress silo) => Update(silo, add: false);

    /// <summary>A view of the board as seen from <paramref name="self"/>.</summary>
    public IClusterMembershipView ViewFor(SiloAddress self) => new BoardMembershipView(this, self);

    internal async Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken)
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

    private void Update(SiloAddress silo, bool add)
    {
        ClusterMembershipChange change;
        TaskCompletionSource changed;
        lock (_gate)
        {
            var silos = _snapshot.ActiveSilos.Where(s => s != silo).ToList();
            if (add)
            {
                silos.Add(silo);
            }
            silos.Sort();
            _snapshot = new ClusterMembershipSnapshot(_snapshot.Version + 1, silos);
            change = new ClusterMembershipChange(_snapshot, add ? [silo] : [], add ? [] : [silo]);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        Changed?.Invoke(this, change);
    }
}
