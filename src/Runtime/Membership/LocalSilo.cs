namespace Hpf.Cluster.Runtime.Membership;

/// <summary>The silo this process runs: its address (with a generation fixed at start) and a name for logs and tables.</summary>
public sealed record LocalSilo(SiloAddress Address, string Name);
