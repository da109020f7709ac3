namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The silo a command trains on for as long as it runs: the cluster's, or (when none is named) one started in this
/// process for the command and stopped with it, so that several jobs (the folds of a cross-validation) share one.
/// </summary>
internal sealed class SiloSession : IAsyncDisposable
{
    private readonly EmbeddedSilo? _embedded;

    private SiloSession(ClusterApiClient client, EmbeddedSilo? embedded)
    {
        Client = client;
        _embedded = embedded;
    }

    public ClusterApiClient Client { get; }

    /// <summary>A silo of this process: its tables are the command's alone, so its jobs are replaced and deleted freely.</summary>
    public bool IsEmbedded => _embedded is not null;

    /// <param name="cluster">The cluster's API; null starts the embedded silo under <paramref name="dataDirectory"/>.</param>
    public static async Task<SiloSession> OpenAsync(Uri? cluster, string? apiKey, string dataDirectory, CliOutput output, CancellationToken cancellationToken)
    {
        if (cluster is not null) return new SiloSession(new ClusterApiClient(cluster, apiKey), null);
        var embedded = await EmbeddedSilo.StartAsync(dataDirectory, output, cancellationToken).ConfigureAwait(false);
        return new SiloSession(new ClusterApiClient(embedded.ApiAddress, embedded.ApiKey), embedded);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_embedded is not null) await _embedded.DisposeAsync().ConfigureAwait(false);
    }
}
