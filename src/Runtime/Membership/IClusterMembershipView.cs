namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// What placement and routing need from membership: the silos grains may live on, as this silo currently
/// sees them. Only Active silos are listed; Joining, ShuttingDown and Dead ones are not.
/// </summary>
public interface IClusterMembershipView
{
    SiloAddress Self { get; }

    /// <summary>The current view; read it once when both the list and its version are needed, so they match.</summary>
    ClusterMembershipSnapshot Snapshot { get; }

    IReadOnlyList<SiloAddress> ActiveSilos { get; }

    long Version { get; }

    /// <summary>Raised (on the agent's loop, so handlers must be quick) after the active set changed.</summary>
    event EventHandler<ClusterMembershipChange>? Changed;

    /// <summary>
    /// Completes with the first snapshot whose version is greater than <paramref name="afterVersion"/>. Every view
    /// wakes its waiters before it raises <see cref="Changed"/>, so a caller may resume before that event's handlers
    /// (placement's, say) have run: wait for the event itself when its handlers' work matters.
    /// </summary>
    Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken);
}
