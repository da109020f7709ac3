using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>The client API of a silo hosted in the test process: the key, the ports, the document, and jobs through it.</summary>
public sealed class ClientApiTests : IAsyncLifetime
{
    private ApiSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_request_without_the_key_is_401_and_one_with_a_wrong_key_is_403()
    {
        using var none = await _silo.Anonymous.GetAsync("api/cluster");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Contains(ClientApiOptions.ApiKeyHeader, await none.Content.ReadAsStringAsync());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "api/jobs");
        wrong.Headers.Add(ClientApiOptions.ApiKeyHeader, ApiSilo.NewKey());
        using var refused = await _silo.Anonymous.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("API key refused", (await Problem(refused)).GetProperty("title").GetString());

        // Neither the key nor the wrong one reaches a log, at any level.
        Assert.DoesNotContain(_silo.ApiKey, _silo.Logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong.Headers.GetValues(ClientApiOptions.ApiKeyHeader).Single(), _silo.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_is_accepted_over_HTTP_1_1()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await _silo.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cluster = await response.Content.ReadFromJsonAsync<ClusterInfo>(ClientApiJson.Options);
        Assert.Equal(_silo.Silo.Address.ToString(), cluster!.Silo);
        Assert.Equal(1, cluster.ActiveSiloCount);

        using var jobs = await _silo.Client.GetAsync("api/jobs");
        Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
        Assert.Empty((await jobs.Content.ReadFromJsonAsync<JobListing[]>(ClientApiJson.Options))!);
    }

    [Fact]
    public async Task The_API_is_absent_on_the_silo_to_silo_port_and_only_the_API_is_on_the_API_port()
    {
        // The silo port speaks only Orleans' own protocol: an HTTP request (with the API key, even) gets nothing an
        // HTTP client can read there.
        using var http2 = new HttpClient();
        foreach (var path in new[] { "/api/cluster", "/api/jobs", "/openapi/v1.json" })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http2.SendAsync(_silo.SiloPortRequest(HttpMethod.Get, path)));
        }
        using var call = await _silo.Client.PostAsync("runtime/call", new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.NotFound, call.StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_endpoints_and_the_key_header()
    {
        using var response = await _silo.Anonymous.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var paths = root.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/jobs").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/jobs").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}").TryGetProperty("delete", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}/data").TryGetProperty("put", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}/start").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}/cancel").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/jobs/{job}/model").TryGetProperty("get", out _));
        Assert.False(paths.TryGetProperty("/runtime/call", out _));
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal(ClientApiOptions.ApiKeyHeader, scheme.GetProperty("name").GetString());
        Assert.True(root.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        // Enums travel as the console's words.
        var stop = root.GetProperty("components").GetProperty("schemas").GetProperty("StopRule").GetProperty("enum");
        Assert.Equal(["maxiter", "train-llk", "val-llk", "diffnorm"], stop.EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("""{"name": "j", "spec": {"training": {"factors": 0}}}""", "option '--k' must be ≥ 1, got 0")]
    [InlineData("""{"name": "j", "spec": {"training": {"stepKappa": 0.4}}}""", "option '--step-kappa' must lie in (0.5, 1]")]
    [InlineData("""{"name": "j", "spec": {"userShards": 5000}}""", "option '--user-shards' must be between 0 (automatic) and 1024")]
    [InlineData("""{"name": "../j"}""", "job name '../j' cannot start with '.'")]
    [InlineData("""{"spec": {}}""", "The body needs a name")]
    [InlineData("""{"name": "j", "spec": {"training": {"factor": 3}}}""", "'factor' could not be mapped")]
    [InlineData("""{"name": "j", "spec": {"training": {"stop": "sometimes"}}}""", "a JSON value at $.spec.training.stop could not be converted")]
    public async Task A_bad_option_or_name_is_400_with_a_message_that_names_it(string body, string message)
    {
        using var response = await _silo.Client.PostAsync("api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await Problem(response)).GetProperty("detail").GetString()!;
        Assert.Contains(message, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter '", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Hpf.", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_job_is_404_for_every_endpoint()
    {
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "api/jobs/ghost"), (HttpMethod.Post, "api/jobs/ghost/start"), (HttpMethod.Post, "api/jobs/ghost/cancel"),
            (HttpMethod.Delete, "api/jobs/ghost"), (HttpMethod.Get, "api/jobs/ghost/model"),
        })
        {
            using var response = await _silo.Client.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("job 'ghost' not found", (await Problem(response)).GetProperty("detail").GetString());
        }
        using var upload = await _silo.Client.PutAsync("api/jobs/ghost/data?set=training", new StringContent("u\ti\t1\n"));
        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
    }

    [Fact]
    public async Task A_file_with_bad_lines_is_400_with_its_file_line_errors_and_leaves_no_job()
    {
        await CreateAsync("refused", new JobSpec());
        using var response = await _silo.Client.PutAsync("api/jobs/refused/data?set=training&format=tsv&source=bad.tsv",
            new StringContent("u1\ti1\t3\nu2\ti2\tmany\nu3\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem(response);
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, problem.GetProperty("totalErrors").GetInt64());
        Assert.StartsWith("bad.tsv:2: ", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("bad.tsv:3: ", errors[1], StringComparison.Ordinal);

        using var gone = await _silo.Client.GetAsync("api/jobs/refused");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var listed = await _silo.Client.GetFromJsonAsync<JobListing[]>("api/jobs", ClientApiJson.Options);
        Assert.DoesNotContain(listed!, j => j.Job == "refused");
    }

    [Fact]
    public async Task An_existing_job_is_409_unless_replaced_and_an_unfinished_job_has_no_model_to_download()
    {
        await CreateAsync("twice", new JobSpec());
        using var again = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = "twice", Spec = new JobSpec() }, ClientApiJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var replaced = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = "twice", Spec = new JobSpec(), Replace = true }, ClientApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);

        using var model = await _silo.Client.GetAsync("api/jobs/twice/model");
        Assert.Equal(HttpStatusCode.Conflict, model.StatusCode);
        Assert.Contains("once it has completed", (await Problem(model)).GetProperty("detail").GetString());
        using var start = await _silo.Client.PostAsync("api/jobs/twice/start", null);
        Assert.Equal(HttpStatusCode.Conflict, start.StatusCode);
    }

    [Fact]
    public async Task A_job_trains_through_the_API_and_its_model_downloads_as_the_engine_trains_it()
    {
        var data = SyntheticDataset.Generate(new SyntheticOptions { Users = 60, Items = 40, Factors = 3, Seed = 5 }).Data;
        var text = new StringWriter();
        data.WriteTsv(text);
        var training = new TrainingOptions { Factors = 3, MaxIterations = 6, Stop = StopRule.MaxIter, CheckEvery = 3, Seed = 2, Threads = 1 };
        var spec = new JobSpec { Training = training, UserShards = 2, ItemShards = 3 };

        var created = await CreateAsync("trained", spec);
        Assert.Equal(JobState.Created, created.State);
        using var upload = await _silo.Client.PutAsync("api/jobs/trained/data?set=training&source=sampled.tsv", new StringContent(text.ToString()));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        using var start = await _silo.Client.PostAsync("api/jobs/trained/start", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var status = (await start.Content.ReadFromJsonAsync<JobStatus>(ClientApiJson.Options))!;
        // The shards seal in the background: the start answers at once.
        Assert.True(status.State is JobState.Loading or JobState.Training or JobState.Completed, $"{status.State}");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!status.IsFinished)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {status.State} at iteration {status.Iteration}");
            await Task.Delay(50);
            status = (await _silo.Client.GetFromJsonAsync<JobStatus>("api/jobs/trained", ClientApiJson.Options))!;
        }
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(data.Nonzeros, status.Data!.Nonzeros);
        Assert.Equal([3, 6], status.Curve.Select(p => p.Iteration));

        using var download = await _silo.Client.GetAsync("api/jobs/trained/model", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(ModelDownloadFormat.ContentType, download.Content.Headers.ContentType?.MediaType);
        var model = await ModelDownloadFormat.ReadAsync(await download.Content.ReadAsStreamAsync(), status.Spec.Training, CancellationToken.None);

        var expected = new InProcessTrainer(training).Train(data).Model;
        Assert.Equal(expected.UserIds, model.UserIds);
        Assert.Equal(expected.ItemIds, model.ItemIds);
        AssertClose(expected.UserShape, model.UserShape);
        AssertClose(expected.UserRate, model.UserRate);
        AssertClose(expected.UserActivityRate, model.UserActivityRate);
        AssertClose(expected.ItemShape, model.ItemShape);
        AssertClose(expected.ItemRate, model.ItemRate);
        AssertClose(expected.ItemPopularityRate, model.ItemPopularityRate);

        using var deleted = await _silo.Client.DeleteAsync("api/jobs/trained");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await _silo.Client.GetAsync("api/jobs/trained");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_download_cut_short_is_recognised_as_such()
    {
        var training = new TrainingOptions { Factors = 2 };
        using var whole = new MemoryStream();
        await WriteTwoRowModelAsync(whole, training);
        var bytes = whole.ToArray();
        var model = await ModelDownloadFormat.ReadAsync(new MemoryStream(bytes), training, CancellationToken.None);
        Assert.Equal(["u"], model.UserIds);
        Assert.Equal(["i"], model.ItemIds);
        Assert.Equal([1f, 2f], model.UserShape);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            await Assert.ThrowsAsync<InvalidDataException>(() => ModelDownloadFormat.ReadAsync(new MemoryStream(bytes[..cut]), training, CancellationToken.None));
        }
    }

    /// <summary>The layout of README.md "Model download", written out by hand: one user and one item, K = 2, the default members.</summary>
    private static async Task WriteTwoRowModelAsync(Stream stream, TrainingOptions training)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write("HPFMODL1"u8);
        writer.Write(ModelDownloadFormat.Version);
        writer.Write(training.Factors);
        writer.Write(training.Members);
        writer.Write(1L);
        writer.Write(1L);
        writer.Write(1);
        writer.Write(1);
        foreach (var (side, id) in new[] { ((byte)0, "u"), ((byte)1, "i") })
        {
            writer.Write(side);
            writer.Write(0);
            writer.Write(1);
            writer.Write(1);
            writer.Write(Encoding.UTF8.GetByteCount(id));
            writer.Write(Encoding.UTF8.GetBytes(id));
            // Shape and rate, K each, then an activity rate per member.
            foreach (var value in new[] { 1f, 2f, 3f, 4f }.Concat(Enumerable.Range(5, training.Members).Select(v => (float)v))) writer.Write(value);
        }
        writer.Write("HPF-END!"u8);
        await stream.FlushAsync();
    }

    private async Task<JobStatus> CreateAsync(string name, JobSpec spec)
    {
        using var response = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = name, Spec = spec }, ClientApiJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        Assert.Equal($"/api/jobs/{name}", response.Headers.Location?.OriginalString);
        return (await response.Content.ReadFromJsonAsync<JobStatus>(ClientApiJson.Options))!;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var j = 0; j < expected.Length; j++)
        {
            var scale = Math.Max(Math.Max(Math.Abs(expected[j]), Math.Abs(actual[j])), 1e-30f);
            Assert.True(Math.Abs(expected[j] - actual[j]) / scale <= 1e-5, $"parameter {j}: {expected[j]} vs {actual[j]}");
        }
    }
}
