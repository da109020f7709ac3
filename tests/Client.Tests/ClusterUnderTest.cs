using System.Security.Cryptography;
using Hpf.Cluster.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// A one-silo cluster for <c>hpf … --cluster</c>, hosted in the test process by <see cref="HpfSiloBuilder"/> as Hpf.Silo
/// builds one (SQLite under a scratch directory, loopback, free ports, a random API key).
/// </summary>
internal sealed class ClusterUnderTest : IAsyncDisposable
{
    private readonly HpfSilo _silo;
    private readonly ScratchDirectory _scratch;

    private ClusterUnderTest(HpfSilo silo, ScratchDirectory scratch, string apiKey)
    {
        _silo = silo;
        _scratch = scratch;
        ApiKey = apiKey;
    }

    public string ApiKey { get; }

    public string Url => _silo.ApiAddress.AbsoluteUri;

    public static async Task<ClusterUnderTest> StartAsync()
    {
        var scratch = new ScratchDirectory();
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = scratch.Root, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:ClusterId"] = "client-test",
            ["Cluster:ClusterSecret"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["Cluster:CallTimeout"] = "00:01:00",
            ["Silo:Port"] = "0",
            ["Api:Port"] = "0",
            ["Api:ApiKey"] = apiKey,
            ["Membership:ConnectionString"] = $"Data Source={scratch.File("membership.db")}",
            ["Storage:DataDirectory"] = scratch.Root,
            ["Shutdown:DrainTime"] = "00:00:00",
            ["Watchdog:Enabled"] = "false",
        });
        var silo = HpfSiloBuilder.Build(builder);
        await silo.StartAsync(CancellationToken.None);
        return new ClusterUnderTest(silo, scratch, apiKey);
    }

    /// <summary>The arguments that point a command at this cluster.</summary>
    public string[] Arguments => ["--cluster", Url, "--api-key", ApiKey];

    public async ValueTask DisposeAsync()
    {
        await _silo.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _scratch.Dispose();
    }
}
