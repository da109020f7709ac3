using System.Runtime.Loader;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Storage;

namespace Hpf.Cluster.Silo;

/// <summary>The Hpf.Silo executable: one silo of a cluster, until it is stopped or finds itself declared dead.</summary>
public static partial class SiloProgram
{
    /// <summary>Exit code of a silo that stopped because the others declared it dead.</summary>
    public const int DeclaredDeadExitCode = 3;

    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // HPF_ variables override appsettings.json; the command line overrides both.
        builder.Configuration.AddEnvironmentVariables("HPF_");
        builder.Configuration.AddCommandLine(args);

        SiloConfiguration configuration;
        try
        {
            configuration = SiloConfiguration.Bind(builder.Configuration);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync("Hpf.Silo: " + ex.Message).ConfigureAwait(false);
            return 2;
        }

        // The HPF grains ship with the silo; other grain assemblies are named in configuration.
        GrainInterfaceRegistry.RegisterAssembly(System.Reflection.Assembly.Load("Hpf.Cluster.Grains"));
        foreach (var path in configuration.GrainAssemblies)
        {
            GrainInterfaceRegistry.RegisterAssembly(AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path)));
        }

        var silo = SiloHost.Create(builder, configuration.Endpoint, configuration.Cluster, (services, local) =>
        {
            if (configuration.MembershipProvider == "Postgres")
            {
                services.AddPostgresMembershipTable(o =>
                {
                    o.ConnectionString = configuration.MembershipConnectionString;
                    o.ClusterId = configuration.Cluster.ClusterId;
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
                services.AddPostgresGrainStateStore(o => o.ConnectionString = configuration.StorageConnectionString);
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
        }, collection => collection.IdleTimeout = configuration.Collection.IdleTimeout);

        var logger = silo.Services.GetRequiredService<ILogger<SiloHost>>();
        var lifetime = silo.Services.GetRequiredService<IHostApplicationLifetime>();
        var agent = silo.Services.GetRequiredService<MembershipAgent>();
        // The agent cancels this when the others vote this silo dead (or it leaves): a silo declared dead stops.
        agent.SiloStopping.Register(lifetime.StopApplication);

        LogStarting(logger, silo.Address, configuration.Cluster.ClusterId, configuration.MembershipProvider, configuration.StorageProvider, configuration.Cluster.CertificatePath.Length > 0);
        using var stopped = new CancellationTokenSource();
        lifetime.ApplicationStopping.Register(stopped.Cancel);
        try
        {
            await silo.StartAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stopped.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // Asked to stop (Ctrl+C, SIGTERM, or declared dead).
        }
        await silo.DisposeAsync().ConfigureAwait(false);
        if (agent.IsDeclaredDead)
        {
            LogDeclaredDead(logger, silo.Address);
            return DeclaredDeadExitCode;
        }
        return 0;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Silo {Silo} of cluster {ClusterId} starting: membership {Membership}, storage {Storage}, TLS {Tls}")]
    private static partial void LogStarting(ILogger logger, SiloAddress silo, string clusterId, string membership, string storage, bool tls);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Silo {Silo} stopped because the cluster declared it dead")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress silo);
}
