namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Timing of the membership protocol. With the defaults a silo that stops heart-beating is declared dead and
/// dropped from every view in about DeathTimeout + 3 × TableRefreshInterval (≈ 8 s worst case, see README.md).
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>How often a silo writes its IAmAlive time.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a silo's IAmAlive may go unchanged, as observed by the voter on its own clock, before it is
    /// suspected. Five heartbeats: tolerant of a GC pause or a busy table, short enough to keep detection under 10 s.
    /// </summary>
    public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a silo reads the whole table to refresh its view and check the others.</summary>
    public TimeSpan TableRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Votes from distinct live silos needed to declare a silo dead; capped at the number of other active silos.</summary>
    public int NumVotesForDeath { get; set; } = 2;

    /// <summary>How long a vote counts: older suspicions are dropped, so unrelated hiccups minutes apart never add up to a death.</summary>
    public TimeSpan SuspicionExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a write lost to a concurrent writer is retried (after re-reading) before giving up until the next round.</summary>
    public int MaxWriteAttempts { get; set; } = 5;

    internal void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero) throw new ArgumentException("HeartbeatInterval must be positive.");
        if (TableRefreshInterval <= TimeSpan.Zero) throw new ArgumentException("TableRefreshInterval must be positive.");
        if (DeathTimeout <= HeartbeatInterval)
            throw new ArgumentException("DeathTimeout must be longer than HeartbeatInterval, or live silos would be suspected between heartbeats.");
        if (NumVotesForDeath < 1) throw new ArgumentException("NumVotesForDeath must be at least 1.");
        if (SuspicionExpiry < DeathTimeout) throw new ArgumentException("SuspicionExpiry must be at least DeathTimeout.");
        if (MaxWriteAttempts < 1) throw new ArgumentException("MaxWriteAttempts must be at least 1.");
    }
}
