namespace Hpf.Cluster.Runtime.Membership;

/// <summary>Lifecycle of a silo as recorded in the membership table. Transitions only go forward.</summary>
public enum SiloStatus
{
    /// <summary>Inserted its row but does not accept grains yet.</summary>
    Joining = 0,

    /// <summary>Part of the cluster: placement may put grains on it.</summary>
    Active = 1,

    /// <summary>Leaving gracefully; placement must stop choosing it.</summary>
    ShuttingDown = 2,

    /// <summary>Left or was voted dead. Final: a dead silo never comes back under the same generation.</summary>
    Dead = 3,
}
