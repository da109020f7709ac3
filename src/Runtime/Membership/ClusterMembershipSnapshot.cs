namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// The active silos as one silo sees them, sorted (<see cref="SiloAddress.CompareTo"/>) so every silo with the
/// same view lists them in the same order. <see cref="Version"/> is the table version the set was read at; it
/// only grows.
/// </summary>
public sealed record ClusterMembershipSnapshot(long Version, IReadOnlyList<SiloAddress> ActiveSilos)
{
    public static ClusterMembershipSnapshot Empty { get; } = new(-1, []);

    public bool Contains(SiloAddress silo)
    {
        foreach (var active in ActiveSilos)
            if (active == silo)
                return true;
        return false;
    }
}

/// <summary>A change of the active set: the new snapshot and the silos that entered and left it.</summary>
public sealed record ClusterMembershipChange(
    ClusterMembershipSnapshot Snapshot,
    IReadOnlyList<SiloAddress> Added,
    IReadOnlyList<SiloAddress> Removed);
