namespace Hpf.Cluster.Silo.Tls;

/// <summary>
/// What a silo says about its TLS: which certificate it shows, once at start, and every peer certificate it refused.
/// A handshake without any certificate never reaches the rule; Orleans logs that one itself (category
/// <c>Orleans.Connections.Security</c>, at Debug, which appsettings.json turns on).
/// </summary>
internal sealed partial class ClusterTlsLog(ClusterCertificate certificate) : ILifecycleParticipant<ISiloLifecycle>
{
    private ILogger? _logger;

    public ClusterTlsLog Attach(ILogger<ClusterTlsLog> logger)
    {
        _logger = logger;
        return this;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClusterTlsLog), ServiceLifecycleStage.RuntimeInitialize, _ =>
        {
            if (_logger is not null) LogOn(_logger, certificate.Description);
            return Task.CompletedTask;
        });

    public void Refused(string why)
    {
        if (_logger is not null) LogRefused(_logger, why);
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "TLS on the silo and gateway ports with the certificate {Certificate}; peers must show a certificate of the cluster")]
    private static partial void LogOn(ILogger logger, string certificate);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Refused a TLS peer: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
