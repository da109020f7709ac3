using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>Kestrel settings for the silo-to-silo listener: HTTP/2 only, h2c or TLS, large messages, wide flow-control windows.</summary>
public static class SiloKestrel
{
    public static void Configure(KestrelServerOptions kestrel, SiloEndpointOptions endpoint, ClusterOptions cluster)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = cluster.MaxMessageBytes;
        // A 16 MB array should not stall on the 768 KB default window waiting for window updates.
        kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
        kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
        kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.MinResponseDataRate = null;
        var address = endpoint.BindAddress is "*" or "0.0.0.0" ? IPAddress.Any : IPAddress.Parse(endpoint.BindAddress);
        kestrel.Listen(address, endpoint.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (cluster.CertificatePath.Length > 0)
            {
                listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(cluster.CertificatePath, cluster.CertificatePassword));
            }
        });
    }
}
