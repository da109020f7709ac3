using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Silo.Api;
using Hpf.Cluster.Silo.Tls;

namespace Hpf.Cluster.Silo;

/// <summary>
/// The silo's own settings as bound from appsettings.json, HPF_-prefixed environment variables
/// (<c>HPF_Storage__ConnectionString</c>) and the command line (<c>--Silo:Port=11112</c>), later sources winning;
/// Orleans' options (sections Cluster, Membership, GrainCollection) are bound by Orleans' own classes.
/// </summary>
internal sealed class SiloSettings
{
    public string Profile { get; set; } = SiloProfile.Local;

    public SiloEndpointOptions Endpoint { get; } = new();

    public SiloStorageOptions Storage { get; } = new();

    public ClientApiOptions Api { get; } = new();

    public JobWatchdogOptions Watchdog { get; } = new();

    public ClusterTlsOptions Tls { get; } = new();

    public SiloKubernetesOptions Kubernetes { get; } = new();

    /// <summary>
    /// The sections bound to this class's options, by name: what <see cref="Bind"/> reads, and what the deployment tests
    /// check every setting of a deployment file against. <c>Profile</c> is a key of its own.
    /// </summary>
    public IReadOnlyList<(string Section, object Options)> Sections =>
        [("Silo", Endpoint), ("Storage", Storage), ("Api", Api), ("Watchdog", Watchdog), ("Tls", Tls), ("Kubernetes", Kubernetes)];

    public bool IsCluster => Profile == SiloProfile.Cluster;

    /// <exception cref="SiloConfigurationException">A setting is missing or out of range; the message says which and how to set it.</exception>
    public static SiloSettings Bind(IConfiguration configuration)
    {
        var result = new SiloSettings();
        try
        {
            result.Profile = (configuration["Profile"] ?? SiloProfile.Local).Trim().ToLowerInvariant();
            foreach (var (section, options) in result.Sections) configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the type it could not convert to.
            throw new SiloConfigurationException(e.Message);
        }
        result.Validate();
        return result;
    }

    private void Validate()
    {
        if (Profile is not (SiloProfile.Local or SiloProfile.Cluster))
        {
            throw new SiloConfigurationException($"Profile is '{Profile}'; a silo runs with 'local' (one silo, files under Storage:DataDirectory) or 'cluster' (several silos on Azure Storage).");
        }
        if (IsCluster && string.IsNullOrWhiteSpace(Storage.ConnectionString))
        {
            throw new SiloConfigurationException("The cluster profile needs Storage:ConnectionString, an Azure Storage connection string (UseDevelopmentStorage=true for Azurite): set HPF_Storage__ConnectionString in the environment.");
        }
        if (!IsCluster && string.IsNullOrWhiteSpace(Storage.DataDirectory))
        {
            throw new SiloConfigurationException("Storage:DataDirectory is empty; the local profile keeps its state and checkpoints there.");
        }
        if (string.IsNullOrEmpty(Api.ApiKey))
        {
            throw new SiloConfigurationException($"No API key: set Api:ApiKey (HPF_Api__ApiKey in the environment, or --Api:ApiKey=...). Clients send it in the {ClientApiOptions.ApiKeyHeader} header.");
        }
        foreach (var (name, port) in new[] { ("Api:Port", Api.Port), ("Silo:Port", Endpoint.Port), ("Silo:GatewayPort", Endpoint.GatewayPort) })
        {
            if (port is < 0 or > 65535) throw new SiloConfigurationException($"{name} is {port}; a port is between 0 (pick a free one) and 65535.");
        }
        if (Api.CertificatePath.Length > 0 && !File.Exists(Api.CertificatePath))
        {
            throw new SiloConfigurationException($"Api:CertificatePath names {Api.CertificatePath}, which does not exist.");
        }
        if (Tls.CertificatePath.Length > 0 && Tls.Subject.Length > 0)
        {
            throw new SiloConfigurationException("Tls:CertificatePath and Tls:Subject both name a certificate; give the file or the store's subject, not both.");
        }
        if (Kubernetes.MaxAgents < 1)
        {
            throw new SiloConfigurationException($"Kubernetes:MaxAgents is {Kubernetes.MaxAgents}; at least one silo must watch the pods.");
        }
        var ports = new[] { Api.Port, Endpoint.Port, Endpoint.GatewayPort }.Where(p => p != 0).ToArray();
        if (ports.Distinct().Count() != ports.Length)
        {
            throw new SiloConfigurationException($"Api:Port ({Api.Port}), Silo:Port ({Endpoint.Port}) and Silo:GatewayPort ({Endpoint.GatewayPort}) must differ: each is a listener of its own.");
        }
        if (!System.Net.IPAddress.TryParse(Endpoint.BindAddress is "*" ? "0.0.0.0" : Endpoint.BindAddress, out _))
        {
            throw new SiloConfigurationException($"Silo:BindAddress is '{Endpoint.BindAddress}'; it must be an IP address (127.0.0.1 for this machine only, 0.0.0.0 for every interface).");
        }
    }
}
