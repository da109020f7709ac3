using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Storage;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo;

/// <summary>
/// The silo's settings as bound from appsettings.json, HPF_-prefixed environment variables
/// (HPF_Cluster__ClusterSecret) and the command line (--Cluster:ClusterSecret=...), later sources winning.
/// </summary>
internal sealed class SiloConfiguration
{
    public ClusterOptions Cluster { get; } = new();

    public SiloEndpointOptions Endpoint { get; } = new();

    /// <summary>Paths of extra assemblies whose grains this silo hosts, besides Hpf.Cluster.Grains.</summary>
    public List<string> GrainAssemblies { get; } = [];

    public string MembershipProvider { get; set; } = "Sqlite";

    /// <summary>Never logged: a PostgreSQL connection string carries a password.</summary>
    public string MembershipConnectionString { get; set; } = "";

    /// <summary>PostgreSQL schema of the membership tables: clusters sharing one database keep apart by it.</summary>
    public string MembershipSchema { get; set; } = "hpf";

    /// <summary>PostgreSQL only: how long a membership write may wait on a silo that stopped talking mid-transaction.</summary>
    public TimeSpan MembershipIdleTransactionTimeout { get; set; } = new PostgresMembershipTableOptions().IdleTransactionTimeout;

    public MembershipOptions Membership { get; } = new();

    public string StorageProvider { get; set; } = "Sqlite";

    /// <summary>Never logged.</summary>
    public string StorageConnectionString { get; set; } = "";

    public string StorageDataDirectory { get; set; } = "data";

    /// <summary>PostgreSQL schema of the grain state tables.</summary>
    public string StorageSchema { get; set; } = "hpf";

    /// <summary>PostgreSQL only: how long a state write may wait on a silo that stopped talking mid-transaction.</summary>
    public TimeSpan StorageIdleTransactionTimeout { get; set; } = new PostgresGrainStateStoreOptions().IdleTransactionTimeout;

    public GrainCollectionOptions Collection { get; } = new();

    public SiloShutdownOptions Shutdown { get; } = new();

    public ClientApiOptions Api { get; } = new();

    /// <summary>The job watchdog that resumes training jobs whose coordinator's silo went away (section Watchdog).</summary>
    public JobWatchdogOptions Watchdog { get; } = new();

    /// <exception cref="SiloConfigurationException">A setting is missing or out of range; the message says which and how to set it.</exception>
    public static SiloConfiguration Bind(IConfiguration configuration)
    {
        var result = new SiloConfiguration();
        try
        {
            configuration.GetSection("Cluster").Bind(result.Cluster);
            var silo = configuration.GetSection("Silo");
            silo.Bind(result.Endpoint);
            result.GrainAssemblies.AddRange(silo.GetSection("GrainAssemblies").Get<string[]>() ?? []);
            var membership = configuration.GetSection("Membership");
            result.MembershipProvider = membership["Provider"] ?? result.MembershipProvider;
            result.MembershipConnectionString = membership["ConnectionString"] ?? "";
            result.MembershipSchema = membership["Schema"] ?? result.MembershipSchema;
            result.MembershipIdleTransactionTimeout = membership.GetValue("IdleTransactionTimeout", result.MembershipIdleTransactionTimeout);
            membership.Bind(result.Membership);
            var storage = configuration.GetSection("Storage");
            result.StorageProvider = storage["Provider"] ?? result.StorageProvider;
            result.StorageConnectionString = storage["ConnectionString"] ?? "";
            result.StorageDataDirectory = storage["DataDirectory"] ?? result.StorageDataDirectory;
            result.StorageSchema = storage["Schema"] ?? result.StorageSchema;
            result.StorageIdleTransactionTimeout = storage.GetValue("IdleTransactionTimeout", result.StorageIdleTransactionTimeout);
            configuration.GetSection("GrainCollection").Bind(result.Collection);
            configuration.GetSection("Shutdown").Bind(result.Shutdown);
            configuration.GetSection("Api").Bind(result.Api);
            configuration.GetSection("Watchdog").Bind(result.Watchdog);
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
        if (string.IsNullOrEmpty(Cluster.ClusterSecret))
        {
            throw new SiloConfigurationException("No cluster secret: set Cluster:ClusterSecret (HPF_Cluster__ClusterSecret in the environment, or --Cluster:ClusterSecret=...). Every silo of the cluster needs the same one.");
        }
        if (MembershipProvider is not ("Sqlite" or "Postgres"))
        {
            throw new SiloConfigurationException($"Membership:Provider is '{MembershipProvider}'; a silo runs on 'Sqlite' (one machine) or 'Postgres' (several).");
        }
        if (StorageProvider is not ("Sqlite" or "Postgres"))
        {
            throw new SiloConfigurationException($"Storage:Provider is '{StorageProvider}'; a silo stores grain state in 'Sqlite' or 'Postgres'.");
        }
        if (string.IsNullOrEmpty(MembershipConnectionString))
        {
            throw new SiloConfigurationException("Membership:ConnectionString is empty.");
        }
        if (MembershipIdleTransactionTimeout < TimeSpan.FromMilliseconds(1))
        {
            throw new SiloConfigurationException($"Membership:IdleTransactionTimeout is {MembershipIdleTransactionTimeout}; it must be at least 1 ms (the default is {new PostgresMembershipTableOptions().IdleTransactionTimeout}).");
        }
        if (StorageIdleTransactionTimeout < TimeSpan.FromMilliseconds(1))
        {
            throw new SiloConfigurationException($"Storage:IdleTransactionTimeout is {StorageIdleTransactionTimeout}; it must be at least 1 ms (the default is {new PostgresGrainStateStoreOptions().IdleTransactionTimeout}).");
        }
        if (string.IsNullOrEmpty(Api.ApiKey))
        {
            throw new SiloConfigurationException($"No API key: set Api:ApiKey (HPF_Api__ApiKey in the environment, or --Api:ApiKey=...). Clients send it in the {ClientApiOptions.ApiKeyHeader} header.");
        }
        if (Api.Port is < 0 or > 65535)
        {
            throw new SiloConfigurationException($"Api:Port is {Api.Port}; a port is between 0 (pick a free one) and 65535.");
        }
        if (Api.CertificatePath.Length > 0 && !File.Exists(Api.CertificatePath))
        {
            throw new SiloConfigurationException($"Api:CertificatePath names {Api.CertificatePath}, which does not exist.");
        }
        if (Api.Port != 0 && Api.Port == Endpoint.Port)
        {
            throw new SiloConfigurationException($"Api:Port and Silo:Port are both {Api.Port}; clients and silos need a port each.");
        }
    }
}
