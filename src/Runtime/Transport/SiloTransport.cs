using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Sends call messages to other silos over HTTP/2, one stream per call on a few shared connections. Cleartext
/// (prior-knowledge h2c) unless a cluster certificate is configured; with TLS a peer is trusted when it
/// presents that same certificate, which is how a private cluster with a self-issued certificate works.
/// </summary>
internal sealed class SiloTransport : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly string _scheme;
    private readonly string _clusterId;
    private readonly string _secret;
    private readonly RuntimeMetrics _metrics;
    private readonly long _maxMessageBytes;

    public SiloTransport(IOptions<ClusterOptions> options, RuntimeMetrics metrics)
    {
        var value = options.Value;
        _clusterId = value.ClusterId;
        _secret = value.ClusterSecret;
        _metrics = metrics;
        _maxMessageBytes = value.MaxMessageBytes;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            // Large arrays stream faster with a wide window than with the 64 KB default that then has to grow.
            InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            ConnectCallback = SiloConnectionStream.ConnectAsync,
        };
        if (value.CertificatePath.Length > 0)
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(value.CertificatePath, value.CertificatePassword);
            var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == thumbprint;
            _scheme = "https";
        }
        else
        {
            _scheme = "http";
        }
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="silo"/> and returns the response body. A silo that
    /// cannot be connected to, or that drops a new connection before answering on it, raises <see cref="SiloUnavailableException"/>: the call never reached it, so it is
    /// safe to route again; any later failure may have run the call and is reported, not retried.
    /// </summary>
    public async Task<ResponseBody> SendAsync(SiloAddress silo, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{_scheme}://{silo.Host}:{silo.Port}{ClusterHeaders.CallPath}"))
        {
            // A request message built by hand does not take the client's default version.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation(ClusterHeaders.ClusterId, _clusterId);
        request.Headers.TryAddWithoutValidation(ClusterHeaders.ClusterSecret, _secret);
        request.Content = new ReadOnlyMemoryContent(message);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ClusterHeaders.ContentType);
        _metrics.Sent(message.Length);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError || NeverAnswered(ex))
        {
            throw new SiloUnavailableException($"Silo {silo} cannot be reached: {ex.Message}");
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new UnauthorizedAccessException($"Silo {silo} refused this silo's cluster credentials ({(int)response.StatusCode}).");
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new HttpRequestException($"Silo {silo} answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
            }
            ResponseBody body;
            try
            {
                body = await ResponseBody.ReadAsync(response.Content, _maxMessageBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // An I/O failure to the caller, which reports it as a failed call naming this silo.
                throw new IOException($"Silo {silo} answered with a message over the limit: {ex.Message}", ex);
            }
            _metrics.Received(body.Length);
            return body;
        }
    }

    /// <summary>Whether the call failed on a connection the silo never answered on (see <see cref="SiloConnectionStream"/>).</summary>
    private static bool NeverAnswered(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SiloSilentException)
            {
                return true;
            }
        }
        return false;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
