using System.CommandLine;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The options a command shares to name a cluster: <c>--cluster host:port[,…]</c> (default $HPF_CLUSTER), the gateways
/// the console connects to as an Orleans client; <c>--cluster-id</c> (default $HPF_CLUSTER_ID, else <c>hpf</c>), which
/// the gateways check; and <c>--local</c>, which ignores $HPF_CLUSTER for one command. Grain calls need no API key, so
/// $HPF_API_KEY is not read.
/// </summary>
internal sealed class ClusterConnection
{
    public const string ClusterVariable = "HPF_CLUSTER";
    public const string ClusterIdVariable = "HPF_CLUSTER_ID";

    /// <summary>The silos' default ClusterId (and ServiceId, which the console always sends).</summary>
    public const string DefaultClusterId = "hpf";

    public ClusterConnection(string clusterDescription)
    {
        Cluster = new Option<string?>("--cluster")
        {
            Description = $"{clusterDescription}: its gateways as host:port[,host:port…] (default: ${ClusterVariable})",
            HelpName = "GATEWAYS",
        };
        ClusterId = new Option<string?>("--cluster-id")
        {
            Description = $"the cluster's ClusterId, which its gateways check (default: ${ClusterIdVariable}, else {DefaultClusterId})",
            HelpName = "ID",
        };
        Local = new Option<bool>("--local")
        {
            Description = $"work here (the saved jobs, the embedded silo) even when ${ClusterVariable} names a cluster",
        };
    }

    public Option<string?> Cluster { get; }
    public Option<string?> ClusterId { get; }
    public Option<bool> Local { get; }

    public IEnumerable<Option> All => [Cluster, ClusterId, Local];

    /// <summary>True when <c>--cluster</c> itself was given (not the environment).</summary>
    public bool Given(ParseResult parsed) => !string.IsNullOrWhiteSpace(parsed.GetValue(Cluster));

    /// <summary>The gateways named by the option or the environment; null when there are none or <c>--local</c> is given.</summary>
    /// <exception cref="CommandException">A malformed value, or <c>--local</c> with <c>--cluster</c>.</exception>
    public GatewayList? Gateways(ParseResult parsed)
    {
        var text = parsed.GetValue(Cluster);
        if (parsed.GetValue(Local))
        {
            if (!string.IsNullOrWhiteSpace(text))
                throw new CommandException(ExitCodes.BadOption, "--local and --cluster exclude each other: work here, or on the cluster");
            return null;
        }
        var origin = "--cluster";
        if (string.IsNullOrWhiteSpace(text))
        {
            text = Environment.GetEnvironmentVariable(ClusterVariable);
            origin = $"${ClusterVariable}";
        }
        return string.IsNullOrWhiteSpace(text) ? null : GatewayList.Parse(text.Trim(), origin);
    }

    public string ClusterIdOf(ParseResult parsed)
    {
        var id = parsed.GetValue(ClusterId);
        if (string.IsNullOrWhiteSpace(id)) id = Environment.GetEnvironmentVariable(ClusterIdVariable);
        return string.IsNullOrWhiteSpace(id) ? DefaultClusterId : id.Trim();
    }

    /// <summary>A connection to the cluster the options name; null when they name none.</summary>
    public async Task<ClusterJobs?> ConnectAsync(ParseResult parsed, CancellationToken cancellationToken) =>
        Gateways(parsed) is { } gateways ? await ClusterJobs.ConnectAsync(gateways, ClusterIdOf(parsed), cancellationToken) : null;

    /// <summary>A connection to the cluster the options name, for commands that have nothing to do without one.</summary>
    public async Task<ClusterJobs> ConnectRequiredAsync(ParseResult parsed, string command, CancellationToken cancellationToken) =>
        await ConnectAsync(parsed, cancellationToken)
        ?? throw new CommandException(ExitCodes.BadOption, $"hpf {command} works on a cluster's jobs: give --cluster {GatewayList.Form} or set ${ClusterVariable}");
}
