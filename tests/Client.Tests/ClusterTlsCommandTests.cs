using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Silo.Tests;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// <c>hpf … --cluster --tls-certificate</c> against a silo built from its configuration with a TLS certificate (the
/// Tls section, as Hpf.Silo reads it): the console with the cluster's certificate is let in; without one, or with
/// another, it is refused with a plain message and exit code 8, and neither side logs the password.
/// </summary>
public sealed class ClusterTlsCommandTests : IAsyncLifetime, IDisposable
{
    private const string Password = "console-pfx-password-91d2";
    private readonly ScratchDirectory _scratch = new();
    private readonly CapturedLogs _logs = new();
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _clusterCertificate = TestCertificates.SelfSigned("hpf-cluster");
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _otherCertificate = TestCertificates.SelfSigned("hpf-cluster");
    private ClusterUnderTest _cluster = null!;

    private string ClusterPfx => _scratch.File("cluster.pfx");
    private string OtherPfx => _scratch.File("other.pfx");

    public async Task InitializeAsync()
    {
        TestCertificates.WritePkcs12(_clusterCertificate, ClusterPfx, Password);
        TestCertificates.WritePkcs12(_otherCertificate, OtherPfx, Password);
        _cluster = await ClusterUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Tls:CertificatePath"] = ClusterPfx,
            ["Tls:CertificatePassword"] = Password,
        }, _logs);
    }

    [Fact]
    public async Task Only_a_console_with_the_clusters_certificate_is_let_in_and_the_password_is_never_shown()
    {
        var previous = Environment.GetEnvironmentVariable(ClusterConnection.CertificatePasswordVariable);
        Environment.SetEnvironmentVariable(ClusterConnection.CertificatePasswordVariable, Password);
        try
        {
            var admitted = (await Cli(["jobs", "--json", "--tls-certificate", ClusterPfx, .. _cluster.Arguments])).Succeeded();
            Assert.Equal("[]", admitted.Out.Trim());

            var without = await Cli(["jobs", .. _cluster.Arguments]);
            Assert.Equal(ExitCodes.ClusterUnreachable, without.ExitCode);
            Assert.Contains($"cannot reach the cluster at {_cluster.Gateway}", without.Error);

            var other = await Cli(["jobs", "--tls-certificate", OtherPfx, .. _cluster.Arguments]);
            Assert.Equal(ExitCodes.ClusterUnreachable, other.ExitCode);
            Assert.Contains($"this console refused its TLS certificate: 'CN=hpf-cluster' (SHA-256 {TestCertificates.Thumbprint(_clusterCertificate)}) is not the cluster certificate", other.Error);
            // Whichever end checks first refuses: the console usually drops the silo's certificate before the gateway
            // has judged the console's, so the gateway's own rule is shown by a peer that accepts any silo certificate.
            await HandshakeShowingAsync(_otherCertificate);
            var refusal = $"Refused a TLS peer: 'CN=hpf-cluster' (SHA-256 {TestCertificates.Thumbprint(_otherCertificate)}) is not the cluster certificate";
            Assert.Contains(refusal, await _logs.TextOnceItHoldsAsync(refusal, TimeSpan.FromSeconds(10)));

            var missing = await Cli(["jobs", "--tls-certificate", _scratch.File("none.pfx"), .. _cluster.Arguments]);
            Assert.Equal(ExitCodes.BadOption, missing.ExitCode);
            Assert.Contains("--tls-certificate (or $HPF_TLS_CERTIFICATE, password in $HPF_TLS_CERTIFICATE_PASSWORD) names", missing.Error);

            Environment.SetEnvironmentVariable(ClusterConnection.CertificatePasswordVariable, "wrong-" + Password);
            var wrongPassword = await Cli(["jobs", "--tls-certificate", ClusterPfx, .. _cluster.Arguments]);
            Assert.Equal(ExitCodes.BadOption, wrongPassword.ExitCode);
            Assert.Contains("cannot be read as a PKCS#12 file with the password given", wrongPassword.Error);

            foreach (var run in new[] { admitted, without, other, missing, wrongPassword })
                Assert.DoesNotContain(Password, run.Out + run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, _logs.Text, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ClusterConnection.CertificatePasswordVariable, previous);
        }
    }

    /// <summary>A TLS handshake with the gateway that shows <paramref name="certificate"/> and takes the gateway's on trust.</summary>
    private async Task HandshakeShowingAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, int.Parse(_cluster.Gateway.Split(':')[1]));
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "hpf-cluster",
                ClientCertificates = [certificate],
            });
            // With TLS 1.3 the client's side can finish before the gateway has judged its certificate; a read then sees the refusal.
            await tls.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or TimeoutException)
        {
        }
    }

    private Task<CliRun> Cli(params string[] args) => CliRun.Of(["--data-dir", _scratch.DataDirectory, .. args]);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public void Dispose()
    {
        _clusterCertificate.Dispose();
        _otherCertificate.Dispose();
        _logs.Dispose();
        _scratch.Dispose();
    }
}
