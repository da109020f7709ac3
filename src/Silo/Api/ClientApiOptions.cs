namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The silo's HTTP/JSON API for clients (section <c>Api</c>): its own port, apart from the silo-to-silo port, and the
/// key every request must carry. A plain class rather than a record, so no generated ToString prints the key.
/// </summary>
public sealed class ClientApiOptions
{
    /// <summary>The request header that carries the key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The default client port: apart from the silo-to-silo default (11111), easy to remember.</summary>
    public const int DefaultPort = 11180;

    /// <summary>
    /// Client port on the silo's bind address; 0 picks a free one. HTTP/1.1 in cleartext; with a certificate, HTTP/1.1
    /// and HTTP/2 over TLS (chosen by ALPN: Kestrel cannot offer both on one cleartext port).
    /// </summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The key clients present in <see cref="ApiKeyHeader"/>. Required; never logged.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>PKCS#12 certificate for TLS on the client port; empty means cleartext, meant for loopback and private networks.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="CertificatePath"/>. Never logged.</summary>
    public string CertificatePassword { get; set; } = "";

    public override string ToString() => $"ClientApiOptions(Port={Port}, Tls={CertificatePath.Length > 0})";
}
