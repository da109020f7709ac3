namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// Real Hpf.Silo processes on Azurite with mutual TLS on their Orleans ports, configured as an operator configures them
/// (<c>HPF_Tls__CertificatePath</c> and <c>HPF_Tls__CertificatePassword</c> in the environment): silos with the cluster's
/// certificate form the cluster; one with another certificate, or with none, never joins, and the refusal is logged
/// without the password.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    private const string Password = "cluster-pfx-password-5c1e";
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-tls-cluster-").FullName;

    [Fact]
    public async Task Silos_with_the_cluster_certificate_join_and_a_silo_with_another_or_none_is_refused()
    {
        using var cluster = TestCertificates.SelfSigned("hpf-cluster");
        using var other = TestCertificates.SelfSigned("hpf-cluster");
        var clusterPfx = TestCertificates.WritePkcs12(cluster, Path.Combine(_directory, "cluster.pfx"), Password);
        var otherPfx = TestCertificates.WritePkcs12(other, Path.Combine(_directory, "other.pfx"), Password);

        // Failure detection as Orleans has it by default (a probe every 5 s, three missed): this test is about who may
        // join, and a loaded machine must not have the members declare each other dead while TLS handshakes wait.
        await using var silos = await AzuriteSiloCluster.StartAsync(2, spareSlots: 2, new Dictionary<string, string>
        {
            ["HPF_Tls__CertificatePath"] = clusterPfx,
            ["HPF_Tls__CertificatePassword"] = Password,
        }, ["--Membership:ProbeTimeout=00:00:05", "--Membership:MaxProbeTimeout=00:00:20", "--Membership:NumMissedProbesLimit=3"]);
        foreach (var slot in new[] { 0, 1 })
            Assert.Contains(silos[slot].Lines, l => l.Text.Contains($"TLS on the silo and gateway ports with the certificate 'CN=hpf-cluster' (SHA-256 {TestCertificates.Thumbprint(cluster)})", StringComparison.Ordinal));
        var members = (await silos.ClusterInfoAsync(0))!.ActiveSilos;

        // Another certificate: both sides refuse the other's, by the cluster's rule.
        var intruder = silos.StartSilo(2, new Dictionary<string, string> { ["HPF_Tls__CertificatePath"] = otherPfx });
        await WaitForLineAsync(silos, [0, 1], $"Refused a TLS peer: 'CN=hpf-cluster' (SHA-256 {TestCertificates.Thumbprint(other)}) is not the cluster certificate");
        // No TLS at all: the handshake fails before any certificate is seen, and Orleans logs that.
        var plain = silos.StartSilo(3, new Dictionary<string, string> { ["HPF_Tls__CertificatePath"] = "", ["HPF_Tls__CertificatePassword"] = "" });
        await WaitForLineAsync(silos, [0, 1], "Authentication failed");

        // Long enough for either to have joined; neither did.
        await Task.Delay(TimeSpan.FromSeconds(10));
        foreach (var slot in new[] { 0, 1 })
        {
            var view = (await silos.ClusterInfoAsync(slot))!;
            Assert.Equal(members.Order(), view.ActiveSilos.Order());
        }
        foreach (var refused in new[] { intruder, plain })
        {
            var port = $":{refused.Port}@";
            Assert.DoesNotContain((await silos.ClusterInfoAsync(0))!.ActiveSilos, a => a.Contains(port, StringComparison.Ordinal));
        }
        silos.Kill(2);
        silos.Kill(3);
        foreach (var line in silos.LinesContaining(""))
            Assert.DoesNotContain(Password, line.Line.Text, StringComparison.Ordinal);
        silos.AssertSecretsNotShown();
    }

    /// <summary>Waits until one of the slots logs <paramref name="text"/>.</summary>
    private static async Task WaitForLineAsync(AzuriteSiloCluster silos, int[] slots, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!slots.Any(s => silos[s].Lines.Any(l => l.Text.Contains(text, StringComparison.Ordinal))))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no silo logged '{text}' within 60 s:\n{silos.Logs()}");
            await Task.Delay(200);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
