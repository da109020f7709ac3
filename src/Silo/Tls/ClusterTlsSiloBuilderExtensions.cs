namespace Hpf.Cluster.Silo.Tls;

/// <summary>Mutual TLS on a silo's Orleans ports (silo to silo, and at its gateway), when a certificate is configured.</summary>
public static class ClusterTlsSiloBuilderExtensions
{
    /// <summary>
    /// Does nothing without a certificate (loopback in cleartext stays the local default). With one, every connection
    /// to and from this silo is TLS, and the other end must show a certificate of the cluster; each refusal is logged
    /// with the certificate it refused (subject and thumbprint), never a password.
    /// </summary>
    /// <exception cref="SiloConfigurationException">The certificate cannot be loaded (the message names the setting).</exception>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterTlsOptions options)
    {
        if (!options.IsEnabled) return silo;
        var certificate = ClusterCertificate.Load(options);
        // Orleans applies the TLS options here and now, before there is a logger: the log is attached when the silo starts.
        var log = new ClusterTlsLog(certificate);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => log.Attach(sp.GetRequiredService<ILogger<ClusterTlsLog>>()));
        silo.UseTls(o => certificate.Configure(o, log.Refused));
        return silo;
    }
}
