namespace Hpf.Cluster.NodeFigures;

/// <summary>The failure-detection settings a cluster runs with: what Hpf.Silo ships, or Orleans' own defaults.</summary>
internal sealed record MembershipTiming(string Name, string[] Arguments, TimeSpan Probe, TimeSpan Watchdog)
{
    /// <summary>src/Silo/appsettings.json: probes every second, a silo missing two of them is voted dead.</summary>
    public static readonly MembershipTiming Shipped = new("shipped (probe 1 s, 2 missed probes)", [], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    /// <summary>Orleans' ClusterMembershipOptions defaults, for comparison.</summary>
    public static readonly MembershipTiming OrleansDefaults = new("Orleans defaults (probe 5 s, 3 missed probes)",
        ["--Membership:ProbeTimeout=00:00:05", "--Membership:MinProbeTimeout=00:00:02.5", "--Membership:MaxProbeTimeout=00:00:20", "--Membership:NumMissedProbesLimit=3"],
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
}
