using System.CommandLine;
using Hpf.Cluster.Silo;
using Hpf.Cluster.Silo.Tls;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The options a command shares to name a cluster: <c>--cluster host:port[,…]</c> (default $HPF_CLUSTER), the gateways
/// the console connects to as an Orleans client; <c>--cluster-id</c> (default $HPF_CLUSTER_ID, else <c>hpf</c>), which
/// the gateways check; <c>--tls-certificate</c> and <c>--tls-authority</c> (defaults $HPF_TLS_CERTIFICATE and
/// $HPF_TLS_AUTHORITY; the password only from $HPF_TLS_CERTIFICATE_PASSWORD, never a command line) for a cluster that
/// speaks mutual TLS; and <c>--local</c>, which ignores $HPF_CLUSTER for one command. Grain calls need no API key, so
/// $HPF_API_KEY is not read.
/// </summary>
internal sealed class ClusterConnection
{
    public const string ClusterVariable = "HPF_CLUSTER";
    public const string ClusterIdVariable = "HPF_CLUSTER_ID";
    public const string CertificateVariable = "HPF_TLS_CERTIFICATE";
    public const string CertificatePasswordVariable = "HPF_TLS_CERTIFICATE_PASSWORD";
    public const string AuthorityVariable = "HPF_TLS_AUTHORITY";

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
        Certificate = new Option<string?>("--tls-certificate")
        {
            Description = $"a PKCS#12 file with the cluster's TLS certificate and key, for a cluster that speaks TLS; its password comes from ${CertificatePasswordVariable} (default: ${CertificateVariable})",
            HelpName = "PATH",
        };
        Authority = new Option<string?>("--tls-authority")
        {
            Description = $"the authority (PEM or DER) that issues the cluster's certificates, when they are not all one certificate (default: ${AuthorityVariable})",
            HelpName = "PATH",
        };
        Local = new Option<bool>("--local")
        {
            Description = $"work here (the saved jobs, the embedded silo) even when ${ClusterVariable} names a cluster",
        };
    }

    public Option<string?> Cluster { get; }
    public Option<string?> ClusterId { get; }
    public Option<bool> Local { get; }
    public Option<string?> Certificate { get; }
    public Option<string?> Authority { get; }

    public IEnumerable<Option> All => [Cluster, ClusterId, Certificate, Authority, Local];

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

    /// <summary>Who the console is to the cluster: the cluster id it asks for and, when one is named, its TLS certificate.</summary>
    /// <exception cref="CommandException">The certificate cannot be loaded (the message names the option and why, never the password).</exception>
    public ClusterIdentity IdentityOf(ParseResult parsed)
    {
        var tls = new ClusterTlsOptions
        {
            CertificatePath = ValueOrVariable(parsed, Certificate, CertificateVariable),
            CertificatePassword = Environment.GetEnvironmentVariable(CertificatePasswordVariable) ?? "",
            AuthorityPath = ValueOrVariable(parsed, Authority, AuthorityVariable),
        };
        if (!tls.IsEnabled)
        {
            if (tls.AuthorityPath.Length > 0)
                throw new CommandException(ExitCodes.BadOption, $"--tls-authority needs --tls-certificate (or ${CertificateVariable}): the console shows the cluster a certificate of its own");
            return new ClusterIdentity(ClusterIdOf(parsed), null);
        }
        try
        {
            return new ClusterIdentity(ClusterIdOf(parsed), ClusterCertificate.Load(tls, SettingName));
        }
        catch (SiloConfigurationException e)
        {
            throw new CommandException(ExitCodes.BadOption, e.Message, e);
        }
    }

    /// <summary>A connection to the cluster the options name; null when they name none.</summary>
    public async Task<ClusterJobs?> ConnectAsync(ParseResult parsed, CancellationToken cancellationToken) =>
        Gateways(parsed) is { } gateways ? await ClusterJobs.ConnectAsync(gateways, IdentityOf(parsed), cancellationToken) : null;

    /// <summary>A connection to the cluster the options name, for commands that have nothing to do without one.</summary>
    public async Task<ClusterJobs> ConnectRequiredAsync(ParseResult parsed, string command, CancellationToken cancellationToken) =>
        await ConnectAsync(parsed, cancellationToken)
        ?? throw new CommandException(ExitCodes.BadOption, $"hpf {command} works on a cluster's jobs: give --cluster {GatewayList.Form} or set ${ClusterVariable}");

    private static string ValueOrVariable(ParseResult parsed, Option<string?> option, string variable)
    {
        var value = parsed.GetValue(option);
        if (string.IsNullOrWhiteSpace(value)) value = Environment.GetEnvironmentVariable(variable);
        return value?.Trim() ?? "";
    }

    /// <summary>The console's names for the settings a certificate message names.</summary>
    private static string SettingName(string property) => property switch
    {
        nameof(ClusterTlsOptions.CertificatePath) => $"--tls-certificate (or ${CertificateVariable}, password in ${CertificatePasswordVariable})",
        nameof(ClusterTlsOptions.AuthorityPath) => $"--tls-authority (or ${AuthorityVariable})",
        _ => property,
    };
}
