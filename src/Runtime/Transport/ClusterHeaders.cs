namespace Hpf.Cluster.Runtime.Transport;

/// <summary>Names and path of the silo-to-silo protocol.</summary>
internal static class ClusterHeaders
{
    public const string CallPath = "/runtime/call";
    public const string ClusterId = "Hpf-Cluster-Id";
    public const string ClusterSecret = "Hpf-Cluster-Secret";
    public const string ContentType = "application/x-hpf-call";
}
