using System.Net;
using System.Security.Cryptography;
using Hpf.Cluster.Silo.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// A silo hosted in the test process by <see cref="HpfSiloBuilder"/>, as Hpf.Silo builds one: the local profile with
/// its files under a fresh directory, loopback, free ports, a random API key, every log line captured.
/// </summary>
internal sealed class ApiSilo : IAsyncDisposable
{
    private readonly HpfSilo _silo;

    private ApiSilo(HpfSilo silo, string directory, string apiKey, CapturedLogs logs, HttpMessageHandler? handler)
    {
        _silo = silo;
        Directory = directory;
        ApiKey = apiKey;
        Logs = logs;
        Client = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: false) { BaseAddress = silo.ApiAddress };
        Client.DefaultRequestHeaders.Add(ClientApiOptions.ApiKeyHeader, apiKey);
        Anonymous = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: handler is null) { BaseAddress = silo.ApiAddress };
    }

    public string Directory { get; }
    public string ApiKey { get; }
    public CapturedLogs Logs { get; }
    public Uri ApiAddress => _silo.ApiAddress;
    public int SiloPort => _silo.Address.Endpoint.Port;
    public HpfSilo Silo => _silo;

    /// <summary>Sends the API key.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no key.</summary>
    public HttpClient Anonymous { get; }

    public static string NewKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public static WebApplicationBuilder Builder(string directory, CapturedLogs logs, IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = directory, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    public static Dictionary<string, string?> Settings(string directory, string apiKey) => new()
    {
        ["Profile"] = SiloProfile.Local,
        ["Cluster:ClusterId"] = "api-test",
        ["Silo:Port"] = "0",
        ["Silo:GatewayPort"] = "0",
        ["Api:Port"] = "0",
        ["Api:ApiKey"] = apiKey,
        ["Storage:DataDirectory"] = directory,
        ["Watchdog:Enabled"] = "false",
    };

    public static async Task<ApiSilo> StartAsync(Action<Dictionary<string, string?>>? adjust = null, HttpMessageHandler? handler = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hpf-api-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var apiKey = NewKey();
        var settings = Settings(directory, apiKey);
        adjust?.Invoke(settings);
        var logs = new CapturedLogs();
        var silo = HpfSiloBuilder.Build(Builder(directory, logs, settings));
        await silo.StartAsync(CancellationToken.None);
        return new ApiSilo(silo, directory, settings["Api:ApiKey"]!, logs, handler);
    }

    /// <summary>An HTTP/2 (prior knowledge) request to the silo-to-silo port, for showing that it serves no HTTP.</summary>
    public HttpRequestMessage SiloPortRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, $"http://127.0.0.1:{SiloPort}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add(ClientApiOptions.ApiKeyHeader, ApiKey);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _silo.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp path; a file still held for a moment is not the test's failure.
        }
    }
}
