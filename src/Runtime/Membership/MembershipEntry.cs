namespace Hpf.Cluster.Runtime.Membership;

/// <summary>One silo's row in the membership table. Times are UTC.</summary>
public sealed record MembershipEntry(
    SiloAddress SiloAddress,
    string SiloName,
    SiloStatus Status,
    DateTimeOffset StartTime,
    DateTimeOffset IAmAliveTime,
    IReadOnlyList<SiloSuspicion> Suspicions)
{
    /// <summary>A fresh row for a silo that is about to join.</summary>
    public static MembershipEntry Joining(SiloAddress address, string siloName, DateTimeOffset now) =>
        new(address, siloName, SiloStatus.Joining, now, now, []);
}
