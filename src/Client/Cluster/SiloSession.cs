namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The silo a command trains on for as long as it runs: the cluster's, or (when none is named) one started in this
/// process for the command and stopped with it, so that several jobs (the folds of a cross-validation) share one.
/// </summary>
internal sealed class SiloSession : IAsyncDisposable
{
    private readonly EmbeddedSilo? _embedded;

    private SiloSession(ClusterJobs jobs, EmbeddedSilo? embedded)
    {
        Jobs = jobs;
        _embedded = embedded;
    }

    public ClusterJobs Jobs { get; }

    /// <summary>A silo of this process: its jobs are the console's alone, so they are replaced and deleted freely.</summary>
    public bool IsEmbedded => _embedded is not null;

    /// <param name="gateways">The cluster's gateways; null starts the embedded silo under <paramref name="dataDirectory"/>.</param>
    /// <param name="identity">Who the console is to the cluster; asked only when there is one, so a certificate is loaded only to be used.</param>
    public static async Task<SiloSession> OpenAsync(GatewayList? gateways, Func<ClusterIdentity> identity, string dataDirectory, CliOutput output, CancellationToken cancellationToken)
    {
        if (gateways is not null) return new SiloSession(await ClusterJobs.ConnectAsync(gateways, identity(), cancellationToken), null);
        var embedded = await EmbeddedSilo.StartAsync(dataDirectory, output, cancellationToken);
        return new SiloSession(ClusterJobs.InProcess(embedded.GrainFactory, "the embedded silo"), embedded);
    }

    public async ValueTask DisposeAsync()
    {
        await Jobs.DisposeAsync();
        if (_embedded is not null) await _embedded.DisposeAsync();
    }
}
