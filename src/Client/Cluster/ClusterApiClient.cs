using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The console's client of a silo's HTTP/JSON API (any silo of the cluster serves it). Every failure comes out as a
/// <see cref="ClusterApiException"/> saying what happened in the user's terms; the API key goes in a header and
/// nowhere else.
/// </summary>
internal sealed class ClusterApiClient : IDisposable
{
    /// <summary>For calls that only read or flip a state; uploads, starts (sealing) and downloads take as long as they take.</summary>
    private static readonly TimeSpan ShortCallTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    public ClusterApiClient(Uri baseAddress, string? apiKey, HttpMessageHandler? handler = null)
    {
        BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.TryAddWithoutValidation(ClientApiOptions.ApiKeyHeader, apiKey);
        }
    }

    public Uri BaseAddress { get; }

    public Task<JobStatus> CreateJobAsync(string job, JobSpec spec, bool replace, CancellationToken cancellationToken) =>
        SendAsync<JobStatus>(() => new HttpRequestMessage(HttpMethod.Post, "api/jobs")
        {
            Content = JsonContent.Create(new CreateJobRequest { Name = job, Spec = spec, Replace = replace }, options: ClientApiJson.Options),
        }, job, timeout: null, cancellationToken);

    /// <summary>Streams <paramref name="content"/> (the file as it is) into the job; a file with bad lines fails with <see cref="ClusterFailure.BadData"/>.</summary>
    public Task<JobStatus> UploadAsync(string job, DataSetKind kind, DatasetFormat format, string source, Stream content, CancellationToken cancellationToken)
    {
        var set = kind == DataSetKind.Training ? "training" : "validation";
        var path = $"api/jobs/{Uri.EscapeDataString(job)}/data?set={set}&format={format.ToString().ToLowerInvariant()}&source={Uri.EscapeDataString(source)}";
        return SendAsync<JobStatus>(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StreamContent(content, 1 << 16) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            // A refusal before the body (a wrong key, no such job) then costs no upload.
            request.Headers.ExpectContinue = true;
            return request;
        }, job, timeout: null, cancellationToken);
    }

    public Task<JobStatus> StartAsync(string job, CancellationToken cancellationToken) =>
        SendAsync<JobStatus>(() => new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(job)}/start"), job, timeout: null, cancellationToken);

    public Task<JobStatus> GetStatusAsync(string job, CancellationToken cancellationToken) =>
        SendAsync<JobStatus>(() => new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(job)}"), job, ShortCallTimeout, cancellationToken);

    public Task<JobStatus> CancelAsync(string job, CancellationToken cancellationToken) =>
        SendAsync<JobStatus>(() => new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(job)}/cancel"), job, ShortCallTimeout, cancellationToken);

    public async Task DeleteAsync(string job, CancellationToken cancellationToken)
    {
        using var response = await SendForResponseAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/jobs/{Uri.EscapeDataString(job)}"), job, ShortCallTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task<JobListing[]> ListJobsAsync(CancellationToken cancellationToken) =>
        SendAsync<JobListing[]>(() => new HttpRequestMessage(HttpMethod.Get, "api/jobs"), job: null, ShortCallTimeout, cancellationToken);

    /// <summary>Downloads a completed job's model, shard by shard, into the engine's row order.</summary>
    public async Task<HpfModel> DownloadModelAsync(string job, TrainingOptions training, CancellationToken cancellationToken)
    {
        using var response = await SendForResponseAsync(() => new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(job)}/model"), job, timeout: null, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await ModelDownloadFormat.ReadAsync(body, training, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterApiException(ClusterFailure.Unreachable, $"the download of job '{job}''s model from {BaseAddress} broke off: {e.Message}", inner: e);
        }
        catch (InvalidDataException e)
        {
            throw new ClusterApiException(ClusterFailure.ServerError, $"the model of job '{job}' from {BaseAddress} cannot be read: {e.Message}", inner: e);
        }
    }

    public Task<RecommendationList> RecommendAsync(string job, RecommendRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<RecommendationList>(job, "recommendations", request, cancellationToken);

    public Task<RecommendationList> ColdStartAsync(string job, ColdStartRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<RecommendationList>(job, "cold-start", request, cancellationToken);

    public Task<PredictionList> PredictAsync(string job, PredictRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<PredictionList>(job, "predictions", request, cancellationToken);

    public Task<FoldInResult> FoldInAsync(string job, FoldInRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<FoldInResult>(job, "fold-in", request, cancellationToken);

    public Task<FoldInResult> AddUserAsync(string job, AddUserRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<FoldInResult>(job, "users", request, cancellationToken);

    /// <summary>Streams a test file (as it is) to the cluster, which reads it with the engine's reader and scores the job's model on it.</summary>
    /// <param name="source">The file name as the user gave it: for the Auto format and the cluster's file:line errors.</param>
    public Task<ClusterEvaluation> EvaluateAsync(string job, Stream content, string source, DatasetFormat format, int k, CancellationToken cancellationToken)
    {
        var path = $"api/jobs/{Uri.EscapeDataString(job)}/evaluation?k={k}&format={format.ToString().ToLowerInvariant()}&source={Uri.EscapeDataString(source)}";
        return SendAsync<ClusterEvaluation>(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StreamContent(content, 1 << 16) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            // An unknown job is refused before the body: the file is not sent for nothing.
            request.Headers.ExpectContinue = true;
            return request;
        }, job, timeout: null, cancellationToken);
    }

    /// <summary>A further SVI pass over new users' counts on a finished cluster job (hpfrec's partial_fit).</summary>
    public Task<PartialFitResult> PartialFitAsync(string job, Stream content, string source, DatasetFormat format, int? usersPerBatch, CancellationToken cancellationToken)
    {
        var path = $"api/jobs/{Uri.EscapeDataString(job)}/partial-fit?format={format.ToString().ToLowerInvariant()}&source={Uri.EscapeDataString(source)}"
            + (usersPerBatch is { } batch ? $"&usersPerBatch={batch}" : "");
        return SendAsync<PartialFitResult>(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StreamContent(content, 1 << 16) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Headers.ExpectContinue = true;
            return request;
        }, job, timeout: null, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A serving request: small, but a model of many items may take a while to rank, so no short timeout.</summary>
    private Task<T> PostJsonAsync<T>(string job, string endpoint, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(() => new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(job)}/{endpoint}")
        {
            Content = JsonContent.Create(body, body.GetType(), options: ClientApiJson.Options),
        }, job, timeout: null, cancellationToken);

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> request, string? job, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var response = await SendForResponseAsync(request, job, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ClientApiJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("the answer is null");
        }
        catch (JsonException e)
        {
            throw new ClusterApiException(ClusterFailure.ServerError, $"{BaseAddress} answered with JSON this client cannot read: {e.Message}", inner: e);
        }
    }

    /// <summary>Sends the request and returns a successful response (headers read, body not yet); every failure becomes a <see cref="ClusterApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendForResponseAsync(Func<HttpRequestMessage> create, string? job, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        using var request = create();
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterApiException(ClusterFailure.Unreachable, $"cannot reach the cluster at {BaseAddress}: {e.Message}", inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterApiException(ClusterFailure.Unreachable, $"the cluster at {BaseAddress} did not answer {request.Method} {request.RequestUri} within {timeout?.TotalSeconds} s", inner: e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            throw await FailureOfAsync(response, job, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ClusterApiException> FailureOfAsync(HttpResponseMessage response, string? job, CancellationToken cancellationToken)
    {
        var problem = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var detail = problem.Detail ?? problem.Title ?? response.ReasonPhrase ?? "no reason given";
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new ClusterApiException(ClusterFailure.ApiKeyMissing,
                $"the cluster at {BaseAddress} needs an API key: give it with --api-key KEY or ${ClusterConnection.ApiKeyVariable}"),
            HttpStatusCode.Forbidden => new ClusterApiException(ClusterFailure.ApiKeyRefused,
                $"the cluster at {BaseAddress} refused the API key (HTTP 403): {detail}"),
            // The serving endpoints tell their refusals apart by title; the message is the cluster's own.
            HttpStatusCode.NotFound when problem.Title == ServingProblems.UnknownUser => new ClusterApiException(ClusterFailure.UnknownUser, detail),
            HttpStatusCode.NotFound when problem.Title == ServingProblems.UnknownItem => new ClusterApiException(ClusterFailure.UnknownItem, detail),
            HttpStatusCode.Conflict when problem.Title == ServingProblems.ModelNotServable => new ClusterApiException(ClusterFailure.ModelNotServable, detail),
            HttpStatusCode.Conflict when problem.Title == ServingProblems.UserExists => new ClusterApiException(ClusterFailure.UserExists, detail),
            HttpStatusCode.NotFound when problem.Detail is not null && job is not null => new ClusterApiException(ClusterFailure.JobNotFound,
                $"job '{job}' not found on the cluster at {BaseAddress}"),
            HttpStatusCode.NotFound => new ClusterApiException(ClusterFailure.ServerError,
                $"{BaseAddress} has no {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: is it the client port of an Hpf.Silo (Api:Port)?"),
            HttpStatusCode.BadRequest when problem.Errors.Count > 0 => new ClusterApiException(ClusterFailure.BadData, detail, problem.Errors, problem.TotalErrors),
            HttpStatusCode.BadRequest => new ClusterApiException(ClusterFailure.BadRequest, detail),
            HttpStatusCode.Conflict => new ClusterApiException(ClusterFailure.Conflict, detail),
            _ => new ClusterApiException(ClusterFailure.ServerError, $"the cluster at {BaseAddress} answered {status} ({problem.Title ?? response.ReasonPhrase}): {detail}"),
        };
    }

    /// <summary>The problem-details body, or what could be read of it (an error from a proxy may be plain text or empty).</summary>
    private static async Task<ProblemBody> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return new ProblemBody(null, null, [], 0);
        }
        if (text.Length == 0) return new ProblemBody(null, null, [], 0);
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var errors = root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray()
                : [];
            var total = root.TryGetProperty("totalErrors", out var count) && count.TryGetInt64(out var n) ? n : errors.Length;
            return new ProblemBody(Text("title"), Text("detail"), errors, total);
        }
        catch (JsonException)
        {
            return new ProblemBody(null, text.Length > 500 ? text[..500] : text, [], 0);
        }
    }

    private sealed record ProblemBody(string? Title, string? Detail, IReadOnlyList<string> Errors, long TotalErrors);
}
