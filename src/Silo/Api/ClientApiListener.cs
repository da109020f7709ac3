using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The client port: Kestrel's one listener, on the silo's bind address (HTTP/1.1 in cleartext; HTTP/1.1 and HTTP/2
/// over TLS when it has a certificate, ALPN choosing). Silos talk to each other on Orleans' own ports.
/// </summary>
internal static class ClientApiListener
{
    public static void Listen(KestrelServerOptions kestrel, string bindAddress, ClientApiOptions options)
    {
        var address = bindAddress is "*" or "0.0.0.0" ? IPAddress.Any : IPAddress.Parse(bindAddress);
        kestrel.Listen(address, options.Port, listen =>
        {
            if (options.CertificatePath.Length > 0)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword));
            }
            else
            {
                // Without TLS there is no ALPN, and Kestrel would serve HTTP/1.1 anyway (with a warning).
                listen.Protocols = HttpProtocols.Http1;
            }
        });
    }
}
