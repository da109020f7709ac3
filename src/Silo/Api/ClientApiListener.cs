using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The client port: its own Kestrel listener on the silo's bind address (HTTP/1.1 in cleartext; HTTP/1.1 and HTTP/2
/// over TLS when it has a certificate, ALPN choosing), and the rule that
/// each port serves only its own endpoints. The rule goes by the port a connection arrived on rather than by the
/// Host header (which RequireHost matches and a client chooses): API routes are absent on the silo-to-silo port,
/// the runtime's call endpoint is absent on the client port.
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

    /// <summary>Answers 404 for an endpoint requested on the other listener's port. Runs after routing, before authentication.</summary>
    public static IApplicationBuilder UseListenerSeparation(this IApplicationBuilder app, int siloPort) =>
        app.Use((context, next) =>
        {
            var onSiloPort = context.Connection.LocalPort == siloPort;
            var isClientApi = context.GetEndpoint()?.Metadata.GetMetadata<ClientApiEndpointMetadata>() is not null;
            if (onSiloPort == isClientApi)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
}
