using System.CommandLine;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The <c>--cluster URL</c> and <c>--api-key KEY</c> options a command shares, defaulting to $HPF_CLUSTER and
/// $HPF_API_KEY. The key is never printed: not in help (which shows only where it comes from), messages or errors.
/// </summary>
internal sealed class ClusterConnection
{
    public const string ClusterVariable = "HPF_CLUSTER";
    public const string ApiKeyVariable = "HPF_API_KEY";

    public ClusterConnection(string clusterDescription)
    {
        Cluster = new Option<string?>("--cluster")
        {
            Description = $"{clusterDescription} (default: ${ClusterVariable})",
            HelpName = "URL",
        };
        ApiKey = new Option<string?>("--api-key")
        {
            Description = $"the cluster's API key (default: ${ApiKeyVariable}; the variable keeps it out of the process list)",
            HelpName = "KEY",
        };
    }

    public Option<string?> Cluster { get; }
    public Option<string?> ApiKey { get; }

    /// <summary>The cluster named by the option or the environment, or null when there is none.</summary>
    /// <exception cref="CommandException">The URL is not an absolute http(s) URL.</exception>
    public Uri? Address(ParseResult parsed)
    {
        var text = parsed.GetValue(Cluster);
        var fromVariable = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            text = Environment.GetEnvironmentVariable(ClusterVariable);
            fromVariable = true;
        }
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            var origin = fromVariable ? $"${ClusterVariable}" : "--cluster";
            throw new CommandException(ExitCodes.BadOption, $"{origin} '{text}' is not an http:// or https:// URL of a silo's client API (e.g. http://127.0.0.1:11180)");
        }
        return address;
    }

    public string? Key(ParseResult parsed)
    {
        var key = parsed.GetValue(ApiKey);
        return string.IsNullOrEmpty(key) ? Environment.GetEnvironmentVariable(ApiKeyVariable) : key;
    }

    /// <summary>A client of the cluster the options name; null when they name none.</summary>
    public ClusterApiClient? Connect(ParseResult parsed) => Address(parsed) is { } address ? new ClusterApiClient(address, Key(parsed)) : null;

    /// <summary>A client of the cluster the options name, for commands that have nothing to do without one.</summary>
    public ClusterApiClient ConnectRequired(ParseResult parsed, string command) =>
        Connect(parsed) ?? throw new CommandException(ExitCodes.BadOption, $"hpf {command} works on a cluster's jobs: give --cluster URL or set ${ClusterVariable}");
}
