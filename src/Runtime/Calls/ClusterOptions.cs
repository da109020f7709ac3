namespace Hpf.Cluster.Runtime;

/// <summary>
/// Settings every silo and client of one cluster shares. A plain class (not a record) on purpose: a record's
/// generated ToString would print the secret into any log that formats the options.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Name of the cluster; a peer of another cluster is refused even with the right secret.</summary>
    public string ClusterId { get; set; } = "hpf";

    /// <summary>Shared secret every silo-to-silo request carries. Never logged.</summary>
    public string ClusterSecret { get; set; } = "";

    /// <summary>How long a grain call may take, queueing included, before the caller gets a <see cref="TimeoutException"/>.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest call or response message accepted, in bytes.</summary>
    public long MaxMessageBytes { get; set; } = 1L << 30;

    /// <summary>PKCS#12 certificate for TLS between silos; empty means a cleartext silo link, meant for loopback and private networks.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="CertificatePath"/>. Never logged.</summary>
    public string CertificatePassword { get; set; } = "";

    public override string ToString() => $"ClusterOptions(ClusterId={ClusterId}, CallTimeout={CallTimeout}, Tls={CertificatePath.Length > 0})";
}
