using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Hpf.Cluster.Silo.Tls;

/// <summary>
/// The certificate this process shows its peers, and the rule it applies to theirs. A peer is of the cluster when its
/// certificate is this one (same SHA-256 thumbprint), or, with an authority configured, when it was issued by that
/// authority. The machine's trust store plays no part: a self-signed cluster certificate works as it is, and a
/// certificate some public CA issued to anyone else does not let its holder in. Host names play no part either: silos
/// reach each other by the IP addresses in the membership table, so the name in a certificate proves nothing there.
/// </summary>
public sealed class ClusterCertificate : IDisposable
{
    private readonly X509Certificate2? _authority;
    private readonly byte[] _thumbprint;

    private ClusterCertificate(X509Certificate2 certificate, X509Certificate2? authority)
    {
        Certificate = certificate;
        _authority = authority;
        _thumbprint = certificate.GetCertHash(HashAlgorithmName.SHA256);
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Names the certificate in logs and messages: subject and SHA-256 thumbprint, nothing secret.</summary>
    public string Description => Describe(Certificate);

    /// <summary>Loads the certificate <paramref name="options"/> name.</summary>
    /// <param name="settingName">How messages name a setting, given its property name (the silo's <c>Tls:CertificatePath</c>, the console's <c>--tls-certificate</c>).</param>
    /// <exception cref="SiloConfigurationException">No such file or certificate, a wrong password, no private key, or an authority that did not issue it.</exception>
    public static ClusterCertificate Load(ClusterTlsOptions options, Func<string, string>? settingName = null)
    {
        settingName ??= property => "Tls:" + property;
        var certificate = options.CertificatePath.Length > 0 ? FromFile(options, settingName) : FromStore(options, settingName);
        if (!certificate.HasPrivateKey)
        {
            var named = Describe(certificate);
            certificate.Dispose();
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.CertificatePath))}: the certificate {named} has no private key; a TLS peer must hold one (export it as a .pfx with its key)");
        }
        X509Certificate2? authority = null;
        if (options.AuthorityPath.Length > 0)
        {
            if (!File.Exists(options.AuthorityPath))
                throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.AuthorityPath))} names {options.AuthorityPath}, which does not exist");
            try
            {
                authority = X509CertificateLoader.LoadCertificateFromFile(options.AuthorityPath);
            }
            catch (CryptographicException e)
            {
                throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.AuthorityPath))}: {options.AuthorityPath} is not a certificate in PEM or DER form ({e.Message})");
            }
        }
        var loaded = new ClusterCertificate(certificate, authority);
        if (authority is not null && loaded.Refusal(certificate) is { } why)
        {
            loaded.Dispose();
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.CertificatePath))}: this process's own certificate is not of the cluster: {why}");
        }
        return loaded;
    }

    /// <summary>Why <paramref name="peer"/> is not of the cluster; null when it is.</summary>
    public string? Refusal(X509Certificate2 peer)
    {
        if (_authority is null)
        {
            return CryptographicOperations.FixedTimeEquals(peer.GetCertHash(HashAlgorithmName.SHA256), _thumbprint)
                ? null
                : $"{Describe(peer)} is not the cluster certificate {Description}";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (chain.Build(peer)) return null;
        var problems = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"{Describe(peer)} was not issued by the cluster authority {Describe(_authority)}{(problems.Length > 0 ? $" ({problems})" : "")}";
    }

    /// <summary>
    /// Orleans' TLS options for both ends of a connection: show <see cref="Certificate"/>, require the peer's (a console
    /// at a gateway included), and accept it only by <see cref="Refusal"/>; <paramref name="refused"/> hears of each refusal.
    /// </summary>
    public void Configure(TlsOptions options, Action<string>? refused)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // The platform's verdict (an untrusted root, a name that does not match) is replaced by the cluster's rule.
        options.RemoteCertificateValidation = (peer, _, _) =>
        {
            var why = Refusal(peer);
            if (why is not null) refused?.Invoke(why);
            return why is null;
        };
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _authority?.Dispose();
    }

    private static string Describe(X509Certificate2 certificate) =>
        $"'{certificate.Subject}' (SHA-256 {Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256))})";

    private static X509Certificate2 FromFile(ClusterTlsOptions options, Func<string, string> settingName)
    {
        if (!File.Exists(options.CertificatePath))
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.CertificatePath))} names {options.CertificatePath}, which does not exist");
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }
        catch (CryptographicException e)
        {
            // The loader's message says what failed (a wrong password, not PKCS#12) and never repeats the password.
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.CertificatePath))}: {options.CertificatePath} cannot be read as a PKCS#12 file with the password given ({e.Message})");
        }
    }

    private static X509Certificate2 FromStore(ClusterTlsOptions options, Func<string, string> settingName)
    {
        if (!Enum.TryParse<StoreName>(options.StoreName, ignoreCase: true, out var name))
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.StoreName))} is '{options.StoreName}'; it is one of {string.Join(", ", Enum.GetNames<StoreName>())}");
        if (!Enum.TryParse<StoreLocation>(options.StoreLocation, ignoreCase: true, out var location))
            throw new SiloConfigurationException($"{settingName(nameof(ClusterTlsOptions.StoreLocation))} is '{options.StoreLocation}'; it is CurrentUser or LocalMachine");
        using var store = new X509Store(name, location);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindBySubjectName, options.Subject, validOnly: false)
            .Where(c => c.HasPrivateKey && c.NotBefore <= DateTime.Now && DateTime.Now <= c.NotAfter)
            .OrderByDescending(c => c.NotAfter)
            .FirstOrDefault();
        return found ?? throw new SiloConfigurationException(
            $"{settingName(nameof(ClusterTlsOptions.Subject))}: no certificate with a private key, valid now, has the subject '{options.Subject}' in the {location}/{name} store");
    }
}
