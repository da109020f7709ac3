namespace Hpf.Cluster.Silo.Api;

/// <summary>The body of <c>GET /api/cluster</c>: which silo answered and the active silos it sees.</summary>
public sealed record ClusterInfo(string Silo, string[] ActiveSilos, int ActiveSiloCount);
