using System.Security.Cryptography.X509Certificates;
using Hpf.Cluster.Silo.Tls;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>The rule a silo and a console apply to a peer's certificate, and the refusals of a certificate that cannot be used.</summary>
public sealed class ClusterCertificateTests : IDisposable
{
    private const string Password = "pfx-password-7f3a";
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-tls-").FullName;

    [Fact]
    public void Without_an_authority_only_the_cluster_certificate_itself_is_accepted()
    {
        using var cluster = TestCertificates.SelfSigned("hpf-cluster");
        using var other = TestCertificates.SelfSigned("hpf-cluster");
        using var loaded = ClusterCertificate.Load(new ClusterTlsOptions { CertificatePath = Pfx(cluster, "cluster.pfx"), CertificatePassword = Password });
        using var copy = X509CertificateLoader.LoadCertificate(cluster.RawData);
        Assert.Null(loaded.Refusal(copy));
        // The same subject is not enough: the key differs.
        var why = loaded.Refusal(other);
        Assert.NotNull(why);
        Assert.Contains(TestCertificates.Thumbprint(other), why);
        Assert.Contains("is not the cluster certificate", why);
    }

    [Fact]
    public void With_an_authority_every_certificate_it_issued_is_accepted_and_no_other()
    {
        using var authority = TestCertificates.Authority("hpf-authority");
        using var stranger = TestCertificates.Authority("hpf-authority");
        using var silo1 = TestCertificates.IssuedBy(authority, "silo-1");
        using var silo2 = TestCertificates.IssuedBy(authority, "silo-2");
        using var intruder = TestCertificates.IssuedBy(stranger, "silo-2");
        using var selfSigned = TestCertificates.SelfSigned("silo-3");
        var options = new ClusterTlsOptions
        {
            CertificatePath = Pfx(silo1, "silo1.pfx"),
            CertificatePassword = Password,
            AuthorityPath = TestCertificates.WritePem(authority, Path.Combine(_directory, "authority.pem")),
        };
        using var loaded = ClusterCertificate.Load(options);
        Assert.Null(loaded.Refusal(silo2));
        Assert.Null(loaded.Refusal(silo1));
        Assert.Contains("was not issued by the cluster authority", loaded.Refusal(intruder));
        Assert.Contains("was not issued by the cluster authority", loaded.Refusal(selfSigned));

        // A silo whose own certificate the authority did not issue is refused at start.
        var own = Assert.Throws<SiloConfigurationException>(() => ClusterCertificate.Load(new ClusterTlsOptions
        {
            CertificatePath = Pfx(intruder, "intruder.pfx"),
            CertificatePassword = Password,
            AuthorityPath = options.AuthorityPath,
        }));
        Assert.Contains("Tls:CertificatePath", own.Message);
    }

    [Fact]
    public void A_certificate_that_cannot_be_used_is_refused_naming_the_setting_and_never_the_password()
    {
        using var cluster = TestCertificates.SelfSigned("hpf-cluster");
        var path = Pfx(cluster, "cluster.pfx");
        var missing = Assert.Throws<SiloConfigurationException>(() => ClusterCertificate.Load(new ClusterTlsOptions { CertificatePath = path + ".gone", CertificatePassword = Password }));
        Assert.Contains("Tls:CertificatePath names", missing.Message);
        var wrong = Assert.Throws<SiloConfigurationException>(() => ClusterCertificate.Load(new ClusterTlsOptions { CertificatePath = path, CertificatePassword = "not-" + Password }));
        Assert.Contains("cannot be read as a PKCS#12 file with the password given", wrong.Message);
        Assert.DoesNotContain(Password, wrong.Message);

        using var publicOnly = X509CertificateLoader.LoadCertificate(cluster.RawData);
        var keyless = Path.Combine(_directory, "keyless.pfx");
        File.WriteAllBytes(keyless, publicOnly.Export(X509ContentType.Pkcs12, Password));
        Assert.Contains("has no private key", Assert.Throws<SiloConfigurationException>(() => ClusterCertificate.Load(new ClusterTlsOptions { CertificatePath = keyless, CertificatePassword = Password })).Message);

        var options = new ClusterTlsOptions { CertificatePath = path, CertificatePassword = Password };
        Assert.DoesNotContain(Password, options.ToString());
        Assert.Contains("Password=(set)", options.ToString());
    }

    private string Pfx(X509Certificate2 certificate, string name) => TestCertificates.WritePkcs12(certificate, Path.Combine(_directory, name), Password);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
