using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo;
using Hpf.Cluster.Silo.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// N silos built by <see cref="HpfSiloBuilder"/> as Hpf.Silo builds them (the local profile for one, the Azure Storage of
/// $HPF_Storage__ConnectionString shared by several; loopback, free ports), in this process; the job is created, uploaded and started through
/// silo 0's client API, and top-10 asked of <c>POST /api/jobs/{job}/recommendations</c> with the API key, the answer
/// read as JSON: the whole path a client in another language takes.
/// </summary>
internal sealed class ServingHttpTarget : IServingBenchTarget
{
    private readonly HpfSilo[] _silos;
    private readonly HttpClient _http;
    private readonly string _directory;

    private ServingHttpTarget(HpfSilo[] silos, HttpClient http, string directory)
    {
        _silos = silos;
        _http = http;
        _directory = directory;
    }

    public static async Task<ServingHttpTarget> StartAsync(int silos, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("hpf-serving-bench-").FullName;
        // Several silos share Azure Storage (Azurite will do: deploy/local-cluster.sh start --silos 0); one runs on files.
        var storage = Environment.GetEnvironmentVariable("HPF_Storage__ConnectionString");
        if (silos > 1 && string.IsNullOrEmpty(storage))
            throw new InvalidOperationException("the HTTP serving target with several silos needs HPF_Storage__ConnectionString (Azurite: deploy/local-cluster.sh start --silos 0)");
        var clusterId = "serving-bench-" + Guid.NewGuid().ToString("N")[..8];
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var started = new List<HpfSilo>();
        for (var s = 0; s < silos; s++)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = directory, EnvironmentName = Environments.Production });
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Profile"] = silos > 1 ? "cluster" : "local",
                ["Storage:ConnectionString"] = storage,
                ["Cluster:ClusterId"] = clusterId,
                ["Silo:Port"] = "0",
                ["Silo:GatewayPort"] = "0",
                ["Silo:SiloName"] = $"bench-{s}",
                ["Api:Port"] = "0",
                ["Api:ApiKey"] = apiKey,
                ["Storage:DataDirectory"] = directory,
                ["Watchdog:Enabled"] = "false",
            });
            var silo = HpfSiloBuilder.Build(builder);
            await silo.StartAsync(cancellationToken);
            started.Add(silo);
        }
        // Every silo sees every other before the job is placed, so its shards spread over all of them.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (started.Any(s => s.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) < silos))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the {silos} silos did not see each other within a minute");
            await Task.Delay(100, cancellationToken);
        }

        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = started[0].ApiAddress, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add(ClientApiOptions.ApiKeyHeader, apiKey);
        var job = ServingBenchData.Job;
        (await http.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = job, Spec = ServingBenchData.Spec(silos) }, ClientApiJson.Options, cancellationToken)).EnsureSuccessStatusCode();
        var upload = new ByteArrayContent(ServingBenchData.Tsv);
        upload.Headers.ContentType = new MediaTypeHeaderValue("text/tab-separated-values");
        (await http.PutAsync($"api/jobs/{job}/data?set=training&format=tsv&source=sampled.tsv", upload, cancellationToken)).EnsureSuccessStatusCode();
        (await http.PostAsync($"api/jobs/{job}/start", null, cancellationToken)).EnsureSuccessStatusCode();
        JobStatus status;
        while (!(status = (await http.GetFromJsonAsync<JobStatus>($"api/jobs/{job}", ClientApiJson.Options, cancellationToken))!).IsFinished)
            await Task.Delay(100, cancellationToken);
        if (status.State != JobState.Completed) throw new InvalidOperationException($"the job ended {status.State}: {status.Error}");
        var target = new ServingHttpTarget([.. started], http, directory);
        await target.TopTenAsync(ServingBenchData.Data.UserIds[0], cancellationToken);
        return target;
    }

    public async Task<int> TopTenAsync(string user, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync($"api/jobs/{ServingBenchData.Job}/recommendations", new RecommendRequest { User = user, N = 10 }, ClientApiJson.Options, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RecommendationList>(ClientApiJson.Options, cancellationToken))!.Items.Length;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        // The others first, so that they leave gracefully while silo 0 still sees them.
        for (var s = _silos.Length - 1; s >= 0; s--) await _silos[s].DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp path; a file still held for a moment is not the benchmark's failure.
        }
    }
}
