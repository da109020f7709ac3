using System.CommandLine;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Serving;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// The options the serving commands share: where the model is (a cluster with <c>--cluster host:port</c> or $HPF_CLUSTER, else
/// the saved job), <c>--json</c>, and <c>--titles FILE</c> to show item titles beside ids.
/// </summary>
internal sealed class ServingOptions
{
    public ClusterConnection Connection { get; } = new("ask this cluster's job instead of the saved one");

    public Option<bool> Json { get; } = new("--json") { Description = "print JSON instead of a table" };

    public Option<string?> Titles { get; } = new("--titles")
    {
        Description = "show item titles beside the item ids, from a file of id<TAB>title lines (UTF-8, optional header) or MovieLens u.item (id|title|…, Latin-1)",
        HelpName = "FILE",
    };

    /// <summary>The model the command asks: the cluster's job when a cluster is named, else the saved job of that name.</summary>
    public async Task<IModelServing> OpenAsync(CommandEnvironment environment, ParseResult parsed, string job, CancellationToken cancellationToken)
    {
        if (await Connection.ConnectAsync(parsed, cancellationToken) is { } client) return new ClusterModelServing(client, job);
        var entry = environment.OpenJob(parsed, job);
        if (entry.Manifest.Model == Grains.Interfaces.ModelKind.Gaussian) return new SavedGaussianJobServing(entry);
        return new SavedJobServing(environment.Store(parsed), entry);
    }

    /// <summary>The titles file, read before any model is asked, so that a typo in its name costs nothing; null without one.</summary>
    public ItemTitles? ReadTitles(ParseResult parsed) => parsed.GetValue(Titles) is { } path ? ItemTitles.Read(path) : null;
}
