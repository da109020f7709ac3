namespace Hpf.Cluster.Runtime.Membership;

/// <summary>One vote against a silo: which silo suspected it and when (UTC).</summary>
public sealed record SiloSuspicion(SiloAddress Suspecter, DateTimeOffset Time);
