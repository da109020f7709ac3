using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>How the API is set up: refused without a key, HTTP/1.1 and HTTP/2 with a certificate.</summary>
public sealed class ClientApiHostingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hpf-api-hosting-" + Guid.NewGuid().ToString("N"));

    public ClientApiHostingTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp path.
        }
    }

    [Fact]
    public void A_silo_without_an_API_key_refuses_to_be_built_and_says_how_to_give_one()
    {
        var settings = ApiSilo.Settings(_directory, apiKey: "");
        var e = Assert.Throws<SiloConfigurationException>(() => HpfSiloBuilder.Build(ApiSilo.Builder(_directory, new CapturedLogs(), settings)));
        Assert.Contains("Api:ApiKey", e.Message, StringComparison.Ordinal);
        Assert.Contains("HPF_Api__ApiKey", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_API_and_silo_ports_must_differ()
    {
        var settings = ApiSilo.Settings(_directory, ApiSilo.NewKey());
        settings["Silo:Port"] = "23456";
        settings["Api:Port"] = "23456";
        var e = Assert.Throws<SiloConfigurationException>(() => HpfSiloBuilder.Build(ApiSilo.Builder(_directory, new CapturedLogs(), settings)));
        Assert.Contains("must differ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_profile_is_refused_and_the_two_profiles_are_named()
    {
        var settings = ApiSilo.Settings(_directory, ApiSilo.NewKey());
        settings["Profile"] = "postgres";
        var e = Assert.Throws<SiloConfigurationException>(() => HpfSiloBuilder.Build(ApiSilo.Builder(_directory, new CapturedLogs(), settings)));
        Assert.Contains("'local'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'cluster'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cluster_profile_without_a_connection_string_is_refused_and_says_which_variable_to_set()
    {
        var settings = ApiSilo.Settings(_directory, ApiSilo.NewKey());
        settings["Profile"] = SiloProfile.Cluster;
        var e = Assert.Throws<SiloConfigurationException>(() => HpfSiloBuilder.Build(ApiSilo.Builder(_directory, new CapturedLogs(), settings)));
        Assert.Contains("HPF_Storage__ConnectionString", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_certificate_the_API_speaks_HTTP_1_1_and_HTTP_2_over_TLS()
    {
        var certificate = CreateCertificate();
        var trust = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.Thumbprint },
        };
        await using var silo = await ApiSilo.StartAsync(settings =>
        {
            settings["Api:CertificatePath"] = certificate.Path;
            settings["Api:CertificatePassword"] = "pw";
        }, trust);
        Assert.Equal("https", silo.ApiAddress.Scheme);
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await silo.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
        }
        Assert.DoesNotContain("pw", silo.Logs.Text.Split(' ', '\n'), StringComparer.Ordinal);
    }

    private (string Path, string Thumbprint) CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hpf-api", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = System.IO.Path.Combine(_directory, "api.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "pw"));
        return (path, certificate.Thumbprint);
    }
}
