using System.Runtime.Loader;
using Hpf.Cluster.Grains;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Storage;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo;

/// <summary>
/// The one way to compose an HPF silo: membership, grain storage, the runtime, the HPF grains and the client API, from
/// configuration (sections Cluster, Silo, Membership, Storage, GrainCollection, Shutdown, Api). The Hpf.Silo executable
/// and the console's embedded silo both build theirs here.
/// </summary>
public static class HpfSiloBuilder
{
    /// <summary>
    /// A builder reading configuration as Hpf.Silo does: appsettings.json next to the executable, then HPF_-prefixed
    /// environment variables (HPF_Cluster__ClusterSecret), then the command line (--Cluster:ClusterSecret=...).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("HPF_");
        builder.Configuration.AddCommandLine(args);
        return builder;
    }

    /// <summary>Builds the silo from <paramref name="builder"/>'s configuration (not started).</summary>
    /// <exception cref="SiloConfigurationException">A setting is missing or wrong (no secret or API key, an unknown provider, …).</exception>
    public static HpfSilo Build(WebApplicationBuilder builder)
    {
        var configuration = SiloConfiguration.Bind(builder.Configuration);
        foreach (var path in configuration.GrainAssemblies)
        {
            GrainInterfaceRegistry.RegisterAssembly(AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path)));
        }
        AddHpfTraining(builder.Services, configuration);
        builder.AddClientApi(configuration.Api, configuration.Endpoint.BindAddress);

        var host = SiloHost.Create(builder, configuration.Endpoint, configuration.Cluster,
            (services, _) => AddMembershipAndStorage(services, configuration),
            collection => collection.IdleTimeout = configuration.Collection.IdleTimeout,
            app => app.MapClientApi(app.Services.GetRequiredService<LocalSilo>().Address.Port));
        return new HpfSilo(host, configuration.Cluster.ClusterId, configuration.MembershipProvider, configuration.StorageProvider,
            configuration.Cluster.CertificatePath.Length > 0);
    }

    /// <summary>The HPF training grains and their own services (the job watchdog): the one place they are registered.</summary>
    private static void AddHpfTraining(IServiceCollection services, SiloConfiguration configuration) =>
        services.AddHpfTraining(o =>
        {
            o.Enabled = configuration.Watchdog.Enabled;
            o.Interval = configuration.Watchdog.Interval;
        });

    private static void AddMembershipAndStorage(IServiceCollection services, SiloConfiguration configuration)
    {
        if (configuration.MembershipProvider == "Postgres")
        {
            services.AddPostgresMembershipTable(o =>
            {
                o.ConnectionString = configuration.MembershipConnectionString;
                o.ClusterId = configuration.Cluster.ClusterId;
                o.Schema = configuration.MembershipSchema;
                o.IdleTransactionTimeout = configuration.MembershipIdleTransactionTimeout;
            });
        }
        else
        {
            services.AddSqliteMembershipTable(o =>
            {
                o.ConnectionString = configuration.MembershipConnectionString;
                o.ClusterId = configuration.Cluster.ClusterId;
            });
        }
        services.AddMembershipAgent(o =>
        {
            o.HeartbeatInterval = configuration.Membership.HeartbeatInterval;
            o.DeathTimeout = configuration.Membership.DeathTimeout;
            o.TableRefreshInterval = configuration.Membership.TableRefreshInterval;
            o.NumVotesForDeath = configuration.Membership.NumVotesForDeath;
            o.SuspicionExpiry = configuration.Membership.SuspicionExpiry;
        });
        if (configuration.StorageProvider == "Postgres")
        {
            services.AddPostgresGrainStateStore(o =>
            {
                o.ConnectionString = configuration.StorageConnectionString;
                o.Schema = configuration.StorageSchema;
                o.IdleTransactionTimeout = configuration.StorageIdleTransactionTimeout;
            });
        }
        else
        {
            services.AddSqliteGrainStateStore(o =>
            {
                o.ConnectionString = configuration.StorageConnectionString;
                o.DataDirectory = configuration.StorageDataDirectory;
            });
        }
        services.Configure<SiloShutdownOptions>(o => o.DrainTime = configuration.Shutdown.DrainTime);
    }
}
