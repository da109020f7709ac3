using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;
using Hpf.Cluster.Grains.Serving;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// <c>/api/jobs</c>: create a job, upload its data, start, watch, cancel and delete it, and download its model. Every
/// handler talks to the job's coordinator grain (key = job name) and the job registry; failures of those calls are
/// turned into problem details by <see cref="ClientApiExceptionHandler"/>.
/// </summary>
internal static class JobEndpoints
{
    private static readonly (string Word, DataSetKind Value)[] DataSetWords = [("training", DataSetKind.Training), ("validation", DataSetKind.Validation)];

    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("jobs");
        jobs.MapPost("", CreateAsync)
            .WithName("CreateJob")
            .WithSummary("Create a job from a name and a spec (hyperparameters, schedule, sharding)")
            .WithDescription("409 when a job of that name exists and replace is false; 400 for a bad name or an option out of range.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("", ListAsync)
            .WithName("ListJobs")
            .WithSummary("Every job of the cluster, ordered by name");
        jobs.MapGet("/{job}", GetAsync)
            .WithName("GetJob")
            .WithSummary("A job's state, progress, log-likelihood curve and timings")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPut("/{job}/data", UploadAsync)
            .WithName("UploadData")
            .WithSummary("Upload a file of (user, item, count) triplets into a job, streamed to its shards")
            .WithDescription("The body is the file as it is (TSV, CSV, MovieLens u.data or Last.fm user_artists.dat). A file with a bad line is refused whole: 400 with errors (file:line: reason) and totalErrors, and the job is deleted.")
            .Accepts<Stream>("application/octet-stream", "text/plain", "text/csv", "text/tab-separated-values")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapPost("/{job}/start", StartAsync)
            .WithName("StartJob")
            .WithSummary("Seal the uploaded data and start training in the background")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapPost("/{job}/cancel", CancelAsync)
            .WithName("CancelJob")
            .WithSummary("Stop training within one half-step; the last complete checkpoint is kept")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapDelete("/{job}", DeleteAsync)
            .WithName("DeleteJob")
            .WithSummary("Delete a job with its data and checkpoints (a training job is cancelled first)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{job}/shards", ShardsAsync)
            .WithName("GetJobShards")
            .WithSummary("The job's shards and the silo each runs on")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{job}/model", DownloadModelAsync)
            .WithName("DownloadModel")
            .WithSummary("The trained model of a completed job, streamed shard by shard (layout in README.md, \"Model download\"); a Gaussian job's in the local store's model file")
            .Produces(StatusCodes.Status200OK, contentType: ModelDownloadFormat.ContentType, additionalContentTypes: GaussianModelDownload.ContentType)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return jobs;
    }

    private static async Task<Results<Created<JobStatus>, ProblemHttpResult>> CreateAsync(
        CreateJobRequest? request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (request?.Name is not { } name)
            return Problem(StatusCodes.Status400BadRequest, "Job name missing", "The body needs a name: {\"name\": \"...\", \"spec\": {...}}.");
        if (JobStore.NameProblem(name) is { } nameProblem)
            return Problem(StatusCodes.Status400BadRequest, "Bad job name", nameProblem);
        var spec = request.Spec ?? new JobSpec();
        try
        {
            spec.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "Option out of range", OptionMessage.Of(e));
        }
        var coordinator = grains.GetGrain<ICoordinatorGrain>(name);
        if (!request.Replace && await coordinator.GetStatus(cancellationToken).ConfigureAwait(false) is { } existing)
            return Problem(StatusCodes.Status409Conflict, "Job exists", $"job '{name}' exists ({Word(existing.State)}); send \"replace\": true to replace it");
        var status = await coordinator.Create(spec, request.Replace, cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/api/jobs/{Uri.EscapeDataString(name)}", status);
    }

    private static async Task<Ok<JobListing[]>> ListAsync(IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).List(cancellationToken).ConfigureAwait(false));

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> GetAsync(string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        return status is null ? problem! : TypedResults.Ok(status);
    }

    private static async Task<Results<Ok<ShardLocation[]>, ProblemHttpResult>> ShardsAsync(string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken);
        if (status is null) return problem!;
        var shards = await grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken);
        var users = shards.Users.Select(async s => new ShardLocation(s.GetPrimaryKeyString(), "user", await s.HostSilo(cancellationToken)));
        var items = shards.Items.Select(async s => new ShardLocation(s.GetPrimaryKeyString(), "item", await s.HostSilo(cancellationToken)));
        return TypedResults.Ok(await Task.WhenAll(users.Concat(items)));
    }

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> UploadAsync(
        string job, string? set, string? format, bool? header, string? source, Stream body, HttpContext context, IGrainFactory grains,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!QueryWords.TryParse(DataSetWords, set ?? "training", out var kind))
            return Problem(StatusCodes.Status400BadRequest, "Bad data set", $"set '{set}' is not one of {string.Join(", ", DataSetWords.Select(w => w.Word))}");
        if (!QueryWords.TryParse(QueryWords.Formats, format ?? "auto", out var layout))
            return Problem(StatusCodes.Status400BadRequest, "Bad format", $"format '{format}' is not one of {string.Join(", ", QueryWords.Formats.Select(w => w.Word))}");
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        if (status is null) return problem!;
        // A data set may be far larger than the limit Kestrel puts on silo-to-silo messages; it streams through.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var name = string.IsNullOrWhiteSpace(source) ? (kind == DataSetKind.Training ? "training" : "validation") : source;
        try
        {
            return TypedResults.Ok(await JobUpload.RunAsync(grains, job, kind, body, name, layout, cancellationToken, header ?? false).ConfigureAwait(false));
        }
        catch (DataFormatException refused)
        {
            ClientApiLog.UploadRefused(loggers.CreateLogger(typeof(JobEndpoints)), job, name, refused.TotalErrors);
            return RefusedFile(refused, $"{name}: {refused.TotalErrors} bad line(s); nothing of the file was kept and job '{job}' was deleted");
        }
    }

    /// <summary>400 for a file refused whole: <paramref name="detail"/>, with its errors (file:line: reason) and their total.</summary>
    internal static ProblemHttpResult RefusedFile(DataFormatException refused, string detail) =>
        TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The file was refused",
            Detail = detail,
            Extensions =
            {
                ["errors"] = refused.Errors.Select(e => e.ToString()).ToArray(),
                ["totalErrors"] = refused.TotalErrors,
            },
        });

    private static async Task<Results<Accepted<JobStatus>, ProblemHttpResult>> StartAsync(string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        if (status is null) return problem!;
        var started = await grains.GetGrain<ICoordinatorGrain>(job).Start(cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted($"/api/jobs/{Uri.EscapeDataString(job)}", started);
    }

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> CancelAsync(string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        if (status is null) return problem!;
        return TypedResults.Ok(await grains.GetGrain<ICoordinatorGrain>(job).Cancel(cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string job, IGrainFactory grains, JobModelQueries queries, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        if (status is null) return problem!;
        await grains.GetGrain<ICoordinatorGrain>(job).Delete(cancellationToken).ConfigureAwait(false);
        // This silo's serving would notice the job is gone at its next request anyway; the shard references can go now.
        queries.Forget(job);
        return TypedResults.NoContent();
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> DownloadModelAsync(
        string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await FindAsync(job, grains, cancellationToken).ConfigureAwait(false);
        if (status is null) return problem!;
        if (status.State != JobState.Completed)
        {
            var why = status.State == JobState.Failed && status.Error is { } error ? $": {error}" : "";
            return Problem(StatusCodes.Status409Conflict, "Job not completed",
                $"job '{job}' is {Word(status.State)} (iteration {status.Iteration}){why}; its model can be downloaded once it has completed");
        }
        if (status.Spec.Training.Model == ModelKind.Gaussian)
        {
            return TypedResults.Stream(stream => GaussianModelDownload.WriteAsync(stream, grains, status, cancellationToken),
                GaussianModelDownload.ContentType, fileDownloadName: $"{job}.gaussianmodel");
        }
        var shards = await grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken).ConfigureAwait(false);
        return TypedResults.Stream(
            stream => ModelDownloadFormat.WriteAsync(stream, status, shards, cancellationToken),
            ModelDownloadFormat.ContentType, fileDownloadName: $"{job}.hpfmodel");
    }

    /// <summary>The job's status, or the problem to answer: 400 for a name no job can have, 404 for no such job.</summary>
    internal static async Task<(JobStatus? Status, ProblemHttpResult? Problem)> FindAsync(string job, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (JobStore.NameProblem(job) is { } nameProblem)
            return (null, Problem(StatusCodes.Status400BadRequest, "Bad job name", nameProblem));
        var status = await grains.GetGrain<ICoordinatorGrain>(job).GetStatus(cancellationToken).ConfigureAwait(false);
        return status is null ? (null, Problem(StatusCodes.Status404NotFound, "Job not found", $"job '{job}' not found")) : (status, null);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>The state as the JSON spells it.</summary>
    private static string Word(JobState state) => state.ToString().ToLowerInvariant();
}
