using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Hpf.Cluster.Grains;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Storage;
using Hpf.Cluster.Silo.Api;
using Hpf.Cluster.Silo.Pages;
using Hpf.Cluster.Silo.Tls;
using Orleans.Configuration;

namespace Hpf.Cluster.Silo;

/// <summary>
/// The one way to compose an HPF silo: Orleans (clustering and storage by profile, our placement, message limits,
/// failure detection), the HPF grains and the client API, from configuration. The Hpf.Silo executable, the console's
/// embedded silo and the tests all build theirs here.
/// </summary>
public static class HpfSiloBuilder
{
    /// <summary>
    /// A builder reading configuration as Hpf.Silo does: appsettings.json next to the executable, then HPF_-prefixed
    /// environment variables (HPF_Api__ApiKey), then the command line (--Api:ApiKey=...).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("HPF_");
        builder.Configuration.AddCommandLine(args);
        return builder;
    }

    /// <summary>Builds the silo from <paramref name="builder"/>'s configuration (not started).</summary>
    /// <exception cref="SiloConfigurationException">A setting is missing or wrong (no API key, an unknown profile, …).</exception>
    public static HpfSilo Build(WebApplicationBuilder builder)
    {
        var settings = SiloSettings.Bind(builder.Configuration);
        var endpoint = settings.Endpoint;
        var siloPort = endpoint.Port == 0 ? FreePort() : endpoint.Port;
        var gatewayPort = endpoint.GatewayPort == 0 ? FreePort() : endpoint.GatewayPort;
        builder.AddClientApi(settings.Api, endpoint.BindAddress);
        builder.Services.AddSiloHealthChecks();
        builder.Services.AddSingleton<SiloDeclaredDead>();
        builder.Services.AddSingleton<IFatalErrorHandler>(sp => sp.GetRequiredService<SiloDeclaredDead>());
        var configuration = builder.Configuration;
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "hpf";
                o.ServiceId = "hpf";
                configuration.GetSection("Cluster").Bind(o);
            });
            silo.Configure<ClusterMembershipOptions>(configuration.GetSection("Membership"));
            silo.Configure<GrainCollectionOptions>(configuration.GetSection("GrainCollection"));
            silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = HpfMessaging.MaxMessageBodySize);
            if (endpoint.SiloName.Length > 0) silo.Configure<SiloOptions>(o => o.SiloName = endpoint.SiloName);
            ConfigureEndpoints(silo, endpoint, siloPort, gatewayPort);
            silo.AddOperatorDashboard();
            silo.UseClusterTls(settings.Tls);
            silo.AddHpfTraining(o =>
            {
                o.Enabled = settings.Watchdog.Enabled;
                o.Interval = settings.Watchdog.Interval;
            });
            if (settings.IsCluster)
            {
                var connection = settings.Storage.ConnectionString;
                silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
                silo.AddAzureBlobGrainStorage(HpfStorage.StateProvider, o => o.BlobServiceClient = new BlobServiceClient(connection));
                silo.Services.AddSingleton<ICheckpointStore>(_ => new AzureBlobCheckpointStore(new AzureBlobCheckpointStoreOptions
                {
                    ConnectionString = connection,
                    ContainerName = settings.Storage.CheckpointContainer,
                }));
            }
            else
            {
                // One silo: Orleans' development clustering, with this silo as its own primary.
                silo.UseDevelopmentClustering(new IPEndPoint(IPAddress.Loopback, siloPort));
                var data = Path.GetFullPath(settings.Storage.DataDirectory);
                silo.AddFileGrainStorage(HpfStorage.StateProvider, o => o.Directory = Path.Combine(data, "state"));
                silo.Services.AddSingleton<ICheckpointStore>(_ => new FileCheckpointStore(new FileCheckpointStoreOptions { Directory = Path.Combine(data, "checkpoints") }));
            }
            silo.UseHpfKubernetesHosting(settings.Kubernetes, settings.Profile);
        });
        var app = builder.Build();
        app.MapClientApi();
        app.MapOperatorPages();
        app.MapSiloHealthChecks();
        return new HpfSilo(app, settings.Profile, settings.IsCluster);
    }

    private static void ConfigureEndpoints(ISiloBuilder silo, SiloEndpointOptions endpoint, int siloPort, int gatewayPort)
    {
        var bindAll = endpoint.BindAddress is "*" or "0.0.0.0";
        var bind = bindAll ? IPAddress.Any : IPAddress.Parse(endpoint.BindAddress);
        var advertised = endpoint.AdvertisedHost.Length > 0
            ? Dns.GetHostAddresses(endpoint.AdvertisedHost).First(a => a.AddressFamily == AddressFamily.InterNetwork)
            : bindAll ? Dns.GetHostAddresses(Dns.GetHostName()).First(a => a.AddressFamily == AddressFamily.InterNetwork) : bind;
        silo.Configure<EndpointOptions>(o =>
        {
            o.AdvertisedIPAddress = advertised;
            o.SiloPort = siloPort;
            o.GatewayPort = gatewayPort;
            o.SiloListeningEndpoint = new IPEndPoint(bind, siloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(bind, gatewayPort);
        });
    }

    /// <summary>
    /// A port free now, for a silo asked for port 0 (Orleans needs its ports before it binds, since they are part of the
    /// silo's address). Drawn from 12000–19999: below the kernel's ephemeral range (32768 up on Linux), which outgoing
    /// connections take their local ports from, so no connection takes it before the silo binds it; and apart from the
    /// ports our defaults and scripts use (10000–10002, 11111 up, 11180 up, 30000 up). Should another process bind it
    /// first anyway, the silo fails to start and names the port.
    /// </summary>
    private static int FreePort()
    {
        const int first = 12000, end = 20000;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(first, end);
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }
        throw new SiloConfigurationException($"no free port between {first} and {end} for a silo asked for port 0; name the ports instead");
    }
}
