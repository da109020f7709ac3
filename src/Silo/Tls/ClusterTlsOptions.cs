using Orleans;

namespace Hpf.Cluster.Silo.Tls;

/// <summary>
/// Mutual TLS on Orleans' own ports, silo to silo and console to gateway (section <c>Tls</c>). Off unless a certificate
/// is named, from a PKCS#12 file (<see cref="CertificatePath"/>) or from a certificate store (<see cref="Subject"/>).
/// Every peer must then present a certificate of the cluster, as <see cref="ClusterCertificate"/> decides. A plain
/// class, so no generated ToString prints the password.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>A PKCS#12 (.pfx) file holding the cluster certificate and its private key. <value>Empty by default: no TLS, unless <see cref="Subject"/> is set.</value></summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>
    /// The password of <see cref="CertificatePath"/>. <value>Empty by default.</value> Never logged; best passed in the
    /// environment (<c>HPF_Tls__CertificatePassword</c>) or an orchestrator's secret, not on a command line.
    /// </summary>
    [Redact]
    public string CertificatePassword { get; set; } = "";

    /// <summary>The subject (CN) of the certificate to take from a store instead of a file. <value>Empty by default.</value></summary>
    public string Subject { get; set; } = "";

    /// <summary>The store <see cref="Subject"/> is looked up in (a <c>StoreName</c>: My, Root, …). <value><c>My</c> by default.</value></summary>
    public string StoreName { get; set; } = "My";

    /// <summary>The store's location, <c>CurrentUser</c> or <c>LocalMachine</c>. <value><c>CurrentUser</c> by default.</value></summary>
    public string StoreLocation { get; set; } = "CurrentUser";

    /// <summary>
    /// A certificate authority (PEM or DER file): when set, a peer is of the cluster if its certificate was issued by
    /// this authority (and is within its validity), so each silo may have a certificate of its own. <value>Empty by
    /// default: a peer must present the very certificate this silo has (same SHA-256 thumbprint).</value>
    /// </summary>
    public string AuthorityPath { get; set; } = "";

    /// <summary>True when a certificate is named, by file or by subject.</summary>
    public bool IsEnabled => CertificatePath.Length > 0 || Subject.Length > 0;

    public override string ToString() =>
        $"ClusterTlsOptions(Certificate={(CertificatePath.Length > 0 ? CertificatePath : Subject.Length > 0 ? $"{StoreLocation}/{StoreName}/{Subject}" : "(none)")}, "
        + $"Password={(CertificatePassword.Length > 0 ? "(set)" : "(none)")}, Authority={(AuthorityPath.Length > 0 ? AuthorityPath : "(same certificate)")})";
}
