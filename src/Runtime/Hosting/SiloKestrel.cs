using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// Kestrel settings for the silo port: silo links (<see cref="Transport.LinkFrame"/>) served by
/// <see cref="Transport.SiloCallHandler"/>, in cleartext or, with a cluster certificate, over TLS.
/// </summary>
public static class SiloKestrel
{
    public static void Configure(KestrelServerOptions kestrel, SiloEndpointOptions endpoint, ClusterOptions cluster)
    {
        kestrel.AddServerHeader = false;
        kestrel.Listen(ListenAddress(endpoint), endpoint.Port, listen =>
        {
            if (cluster.CertificatePath.Length > 0)
            {
                listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(cluster.CertificatePath, cluster.CertificatePassword));
            }
            listen.UseConnectionHandler<Transport.SiloCallHandler>();
        });
    }

    public static IPAddress ListenAddress(SiloEndpointOptions endpoint) =>
        endpoint.BindAddress is "*" or "0.0.0.0" ? IPAddress.Any : IPAddress.Parse(endpoint.BindAddress);
}
