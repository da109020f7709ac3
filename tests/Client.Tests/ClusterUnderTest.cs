using System.Security.Cryptography;
using Hpf.Cluster.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// A one-silo cluster for <c>hpf … --cluster</c>, hosted in the test process by <see cref="HpfSiloBuilder"/> as Hpf.Silo
/// builds one on the local profile (files under a scratch directory, loopback, free ports). The console reaches it as
/// an Orleans client of its gateway, the path a real cluster takes.
/// </summary>
internal sealed class ClusterUnderTest : IAsyncDisposable
{
    /// <summary>Not the default <c>hpf</c>, so that every command proves it passes <c>--cluster-id</c> on.</summary>
    public const string ClusterId = "client-test";

    private readonly HpfSilo _silo;
    private readonly ScratchDirectory _scratch;

    private ClusterUnderTest(HpfSilo silo, ScratchDirectory scratch)
    {
        _silo = silo;
        _scratch = scratch;
    }

    /// <summary>The gateway as <c>--cluster</c> takes it: <c>127.0.0.1:PORT</c>.</summary>
    public string Gateway => $"127.0.0.1:{_silo.GatewayEndpoint.Port}";

    /// <summary>The silo's grains, for setting up what no command makes (a job with no data).</summary>
    public IGrainFactory Grains => _silo.GrainFactory;

    /// <param name="settings">Silo settings over the defaults below (the <c>Tls</c> section, say).</param>
    /// <param name="logs">Receives the silo's log, which is otherwise dropped.</param>
    public static async Task<ClusterUnderTest> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, ILoggerProvider? logs = null)
    {
        var scratch = new ScratchDirectory();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = scratch.Root, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profile"] = SiloProfile.Local,
            ["Cluster:ClusterId"] = ClusterId,
            ["Cluster:ServiceId"] = "hpf",
            ["Silo:Port"] = "0",
            ["Silo:GatewayPort"] = "0",
            ["Api:Port"] = "0",
            ["Api:ApiKey"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["Storage:DataDirectory"] = scratch.File("silo"),
            ["Watchdog:Enabled"] = "false",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        var silo = HpfSiloBuilder.Build(builder);
        await silo.StartAsync(CancellationToken.None);
        return new ClusterUnderTest(silo, scratch);
    }

    /// <summary>The arguments that point a command at this cluster.</summary>
    public string[] Arguments => ["--cluster", Gateway, "--cluster-id", ClusterId];

    public async ValueTask DisposeAsync()
    {
        await _silo.DisposeAsync();
        _scratch.Dispose();
    }
}
