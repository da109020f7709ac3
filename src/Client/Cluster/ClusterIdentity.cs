using Hpf.Cluster.Silo.Tls;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>Who the console is to a cluster's gateways: the ClusterId they check and, on a cluster that speaks TLS, the certificate it shows.</summary>
internal sealed record ClusterIdentity(string ClusterId, ClusterCertificate? Certificate);
