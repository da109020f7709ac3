namespace Hpf.Cluster.NodeFigures;

/// <summary>The failure-detection settings a cluster runs with: the process tests' fast ones, or the silo's defaults.</summary>
internal sealed record MembershipTiming(string Name, TimeSpan Heartbeat, TimeSpan TableRefresh, TimeSpan DeathTimeout, TimeSpan Watchdog)
{
    /// <summary>tests/Silo.Tests (PostgresSiloCluster).</summary>
    public static readonly MembershipTiming Fast = new("tests (heartbeat 0.25 s, death timeout 2 s)",
        TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));

    /// <summary>src/Silo/appsettings.json and the Kubernetes ConfigMap.</summary>
    public static readonly MembershipTiming Defaults = new("defaults (heartbeat 1 s, death timeout 5 s)",
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
}
