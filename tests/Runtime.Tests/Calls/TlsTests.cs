using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>Silos configured with a cluster certificate talk over TLS and trust only peers presenting it.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hpf-tls-" + Guid.NewGuid().ToString("N"));

    public TlsTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string CreateCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "pw"));
        return path;
    }

    [Fact]
    public async Task Silos_with_a_cluster_certificate_call_each_other_over_TLS()
    {
        var certificate = CreateCertificate("cluster");
        await using var cluster = await TestCluster.StartAsync(2, new TestClusterOptions { CertificatePath = certificate, CertificatePassword = "pw" });
        var silo1 = cluster.Silos[1].Address;
        var key = Enumerable.Range(0, 1000).Select(i => "tls" + i)
            .First(k => global::Hpf.Cluster.Runtime.Placement.RendezvousPlacement.PickOwner(new GrainId(typeof(ICounterGrain).FullName!, k), cluster.Membership.Snapshot.ActiveSilos) == silo1);

        Assert.Equal(3, await cluster.Silos[0].GrainFactory.GetGrain<ICounterGrain>(key).Add(3));
        Assert.Equal(silo1.ToString(), await cluster.Client.GetGrain<ICounterGrain>(key).WhereAmI());

        // Cleartext is refused by a TLS listener.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{silo1.Host}:{silo1.Port}/runtime/call")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(request));
    }

    [Fact]
    public async Task A_peer_presenting_another_certificate_is_not_trusted()
    {
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions { CertificatePath = CreateCertificate("cluster"), CertificatePassword = "pw" });
        var secret = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>(cluster.Silos[0].Services).Value.ClusterSecret;
        await using var stranger = new ClusterClient(
            cluster.Membership.ViewFor(new SiloAddress("stranger", 0, 0)),
            new ClusterOptions { ClusterId = "test", ClusterSecret = secret, CertificatePath = CreateCertificate("other"), CertificatePassword = "pw", CallTimeout = TimeSpan.FromSeconds(5) });

        // The stranger refuses the silo because it presents another certificate; towards a silo, peers prove
        // themselves with the cluster secret, not with a client certificate.
        var ex = await Assert.ThrowsAsync<GrainCallException>(() => stranger.GrainFactory.GetGrain<ICounterGrain>("x").Add(1));

        Assert.Equal(typeof(IOException).FullName, ex.RemoteExceptionType);
        Assert.Contains("not trusted", ex.RemoteMessage);
        Assert.Equal(0, cluster.Silos[0].ActivationCount);
    }
}
