using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;
using Hpf.Cluster.Grains.Serving;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// <c>/api/jobs/{job}/…</c> for a trained model: recommendations, cold start, predictions, fold-in, add-user and
/// evaluation, answered by the silo's <see cref="JobModelQueries"/> through the grains that hold the model. Arguments
/// are checked here (400, naming the property); what the model refuses (an unknown user, item or job, a job with no
/// model to serve) is thrown by the queries and turned into its own problem by <see cref="ClientApiExceptionHandler"/>.
/// </summary>
internal static partial class ServingEndpoints
{
    public static RouteGroupBuilder MapServingEndpoints(this RouteGroupBuilder api)
    {
        var job = api.MapGroup("/jobs/{job}").WithTags("serving");
        job.MapPost("/recommendations", RecommendAsync)
            .WithName("Recommend")
            .WithSummary("A user's top n items by E[θ_u]·E[β_i], the items they have counts for left out unless includeSeen")
            .WithDescription(ServedDescription + " 404 with title \"Unknown user\" for a user the model does not have.")
            .WithServingProblems();
        job.MapPost("/cold-start", ColdStartAsync)
            .WithName("ColdStart")
            .WithSummary("The top n items for a user with no data: the prior predictive ranks items by Σ_k E[β_ik]")
            .WithDescription(ServedDescription)
            .WithServingProblems();
        job.MapPost("/predictions", PredictAsync)
            .WithName("Predict")
            .WithSummary("The predicted count E[θ_u]·E[β_i] of each (user, item) pair, in the order asked")
            .WithDescription(ServedDescription + " 404 with title \"Unknown user\" or \"Unknown item\" names the first id the model does not have.")
            .WithServingProblems();
        job.MapPost("/fold-in", FoldInAsync)
            .WithName("FoldIn")
            .WithSummary("A user's factors from their item counts with the items held fixed, and their top n items among those not counted; nothing is stored")
            .WithDescription("Needs a completed job (409 while it trains). Items the model does not know are left out and listed in unknownItems.")
            .WithServingProblems();
        job.MapPost("/users", AddUserAsync)
            .WithName("AddUser")
            .WithSummary("Fold a user in from their item counts and store them, so later requests serve them like a trained user")
            .WithDescription("Needs a completed job. Item parameters do not change. 409 with title \"User exists\" when the model has the user and updateExisting is false.")
            .WithServingProblems();
        job.MapPost("/evaluation", EvaluateAsync)
            .WithName("Evaluate")
            .WithSummary("Held-out log-likelihood, precision@k, recall@k and NDCG@k of the model on a test file, streamed like a data upload")
            .WithDescription("The body is the file as it is (TSV, CSV, MovieLens u.data or Last.fm user_artists.dat), read with the engine's reader. A file with a bad line is refused whole: 400 with errors (file:line: reason) and totalErrors. " + ServedDescription)
            .Accepts<Stream>("application/octet-stream", "text/plain", "text/csv", "text/tab-separated-values")
            .WithServingProblems();
        job.MapPost("/partial-fit", PartialFitAsync)
            .WithName("PartialFit")
            .WithSummary("A further SVI pass over new users' counts (hpfrec's partial_fit): the users are folded in, the items they touch take the SVI global step with the job's step size going on, and the users are stored for serving")
            .WithDescription("The body is a triplet file of the new users (as a data upload), read with the engine's reader; a file with a bad line is refused whole (400, errors as file:line: reason). usersPerBatch cuts the users into mini-batches (default the job's users-per-batch, else all at once). Needs a completed job: 409 with title \"Model not servable\" otherwise.")
            .Accepts<Stream>("application/octet-stream", "text/plain", "text/csv", "text/tab-separated-values")
            .WithServingProblems();
        return job;
    }

    private const string ServedDescription =
        "A training job is served from its last complete checkpoint (fromCheckpoint true, servedIteration the checkpoint's iteration). "
        + "409 with title \"Model not servable\" and the job's state for a job that failed, was cancelled, is loading or has no checkpoint yet.";

    private static RouteHandlerBuilder WithServingProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<RecommendationList>, JsonHttpResult<GroupRankingList>, ProblemHttpResult>> RecommendAsync(
        string job, RecommendRequest? request, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        if (request is null) return Bad("The body needs a user: {\"user\": \"...\", \"n\": 10}.");
        if (string.IsNullOrEmpty(request.User)) return Bad("\"user\" is missing: name the user to recommend for");
        if (CountProblem("n", request.N, min: 1) is { } n) return n;
        if (PoolProblem(request.Pool) is { } pool) return pool;
        if (request.Group is not null || request.GroupsOnly)
            return await BudgetRankingAsync(job, request.User, request.Group, request.GroupsOnly, request.N, request.IncludeSeen, request.Pool, queries, cancellationToken);
        return TypedResults.Ok(await queries.RecommendAsync(job, request.User, request.N, request.IncludeSeen, request.Pool, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<RecommendationList>, JsonHttpResult<GroupRankingList>, ProblemHttpResult>> ColdStartAsync(
        string job, ColdStartRequest? request, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        request ??= new ColdStartRequest();
        if (CountProblem("n", request.N, min: 1) is { } n) return n;
        if (PoolProblem(request.Pool) is { } pool) return pool;
        if (request.Group is not null || request.GroupsOnly)
            return await BudgetRankingAsync(job, null, request.Group, request.GroupsOnly, request.N, includeSeen: false, request.Pool, queries, cancellationToken);
        return TypedResults.Ok(await queries.ColdStartAsync(job, request.N, request.Pool, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<PredictionList>, ProblemHttpResult>> PredictAsync(
        string job, PredictRequest? request, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        if (request?.Pairs is not { Length: > 0 } pairs) return Bad("\"pairs\" is missing or empty: {\"pairs\": [{\"user\": \"...\", \"item\": \"...\"}]}");
        if (pairs.Length > ServingProblems.MaxPairs) return Bad($"{pairs.Length} pairs in one request; at most {ServingProblems.MaxPairs}");
        var asked = new (string User, string Item)[pairs.Length];
        for (var p = 0; p < pairs.Length; p++)
        {
            if (pairs[p] is not { User: { Length: > 0 } user, Item: { Length: > 0 } item })
                return Bad($"pair {p} needs a user and an item");
            asked[p] = (user, item);
        }
        return TypedResults.Ok(await queries.PredictAsync(job, asked, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<FoldInResult>, ProblemHttpResult>> FoldInAsync(
        string job, FoldInRequest? request, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        if (request is null) return Bad("The body needs the user's counts: {\"counts\": [{\"item\": \"...\", \"count\": 3}], \"n\": 10}.");
        if (CountsProblem(request.Counts) is { } counts) return counts;
        if (CountProblem("n", request.N, min: 0) is { } n) return n;
        var user = string.IsNullOrEmpty(request.User) ? null : request.User;
        return TypedResults.Ok(await queries.FoldInAsync(job, user, request.Counts!, request.N, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<FoldInResult>, ProblemHttpResult>> AddUserAsync(
        string job, AddUserRequest? request, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        if (request is null) return Bad("The body needs a user and their counts: {\"user\": \"...\", \"counts\": [{\"item\": \"...\", \"count\": 3}]}.");
        if (string.IsNullOrEmpty(request.User)) return Bad("\"user\" is missing: name the user to add");
        if (CountsProblem(request.Counts) is { } counts) return counts;
        try
        {
            return TypedResults.Ok(await queries.AddUserAsync(job, request.User, request.Counts!, request.UpdateExisting, cancellationToken).ConfigureAwait(false));
        }
        catch (JobConflictException)
        {
            // The user's shard refuses to overwrite a user it has; the shard is the one place that knows.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: ServingProblems.UserExists,
                detail: $"user '{request.User}' is already in job '{job}'; send \"updateExisting\": true to replace them",
                extensions: new Dictionary<string, object?> { ["user"] = request.User });
        }
    }

    private static async Task<Results<Ok<ClusterEvaluation>, ProblemHttpResult>> EvaluateAsync(
        string job, int? k, string? format, bool? header, string? source, Stream body, HttpContext context, JobModelQueries queries, IGrainFactory grains,
        CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        var cutoff = k ?? 20;
        if (CountProblem("k", cutoff, min: 1) is { } badK) return badK;
        if (!QueryWords.TryParse(QueryWords.Formats, format ?? "auto", out var layout))
            return Bad($"format '{format}' is not one of {string.Join(", ", QueryWords.Formats.Select(w => w.Word))}");
        // Refused before the body is read, so a typo in the job's name costs no upload (the client sends Expect: 100-continue).
        var status = await grains.GetGrain<ICoordinatorGrain>(job).GetStatus(cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(job);
        // A test set may be as large as a training set; it streams through the reader.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var name = string.IsNullOrWhiteSpace(source) ? "test" : source;
        Dataset test;
        try
        {
            // A Gaussian job's test set is ratings: zero and negative values kept.
            test = await StreamedDataset.ReadAsync(body, name, layout, "evaluate", cancellationToken, header ?? false,
                ratings: status.Spec.Training.Model == ModelKind.Gaussian).ConfigureAwait(false);
        }
        catch (DataFormatException refused)
        {
            return Refused(name, refused, "nothing was evaluated");
        }
        return TypedResults.Ok(await queries.EvaluateAsync(job, test, cutoff, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<PartialFitResult>, ProblemHttpResult>> PartialFitAsync(
        string job, int? usersPerBatch, string? format, bool? header, string? source, Stream body, HttpContext context, JobModelQueries queries,
        IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (NameProblem(job) is { } bad) return bad;
        if (usersPerBatch is < 1) return Bad($"\"usersPerBatch\" must be ≥ 1, got {usersPerBatch}");
        if (!QueryWords.TryParse(QueryWords.Formats, format ?? "auto", out var layout))
            return Bad($"format '{format}' is not one of {string.Join(", ", QueryWords.Formats.Select(w => w.Word))}");
        // Unknown or unfinished jobs are refused before the body is read (the client sends Expect: 100-continue).
        var status = await grains.GetGrain<ICoordinatorGrain>(job).GetStatus(cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(job);
        if (status.State != JobState.Completed)
            throw new ModelNotServableException(job, status.State, $"job '{job}' is {status.State.ToString().ToLowerInvariant()}: a partial fit goes on from a finished model");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var name = string.IsNullOrWhiteSpace(source) ? "partial-fit" : source;
        Dataset batch;
        try
        {
            batch = await StreamedDataset.ReadAsync(body, name, layout, "fit", cancellationToken, header ?? false).ConfigureAwait(false);
        }
        catch (DataFormatException refused)
        {
            return Refused(name, refused, "nothing was fitted");
        }
        return TypedResults.Ok(await queries.PartialFitAsync(job, batch, usersPerBatch, cancellationToken).ConfigureAwait(false));
    }

    private static ProblemHttpResult Refused(string name, DataFormatException refused, string consequence) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The file was refused",
            Detail = $"{name}: {refused.TotalErrors} bad line(s); {consequence}",
            Extensions =
            {
                ["errors"] = refused.Errors.Select(e => e.ToString()).ToArray(),
                ["totalErrors"] = refused.TotalErrors,
            },
        });

    private static ProblemHttpResult? NameProblem(string job) =>
        JobStore.NameProblem(job) is { } problem ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad job name", detail: problem) : null;

    private static ProblemHttpResult? CountProblem(string name, int value, int min) =>
        value < min || value > ServingProblems.MaxItems ? Bad($"\"{name}\" must lie in [{min}, {ServingProblems.MaxItems}], got {value}") : null;

    private static ProblemHttpResult? PoolProblem(string[]? pool)
    {
        if (pool is null) return null;
        if (pool.Length == 0) return Bad("\"pool\" is empty: leave it out to rank every item");
        return pool.Any(string.IsNullOrEmpty) ? Bad("\"pool\" has an empty item id") : null;
    }

    private static ProblemHttpResult? CountsProblem(ItemCount[]? counts)
    {
        if (counts is not { Length: > 0 }) return Bad("\"counts\" is missing or empty: [{\"item\": \"...\", \"count\": 3}, ...]");
        for (var c = 0; c < counts.Length; c++)
        {
            if (counts[c] is not { Item: { Length: > 0 } item, Count: var count }) return Bad($"count {c} needs an item");
            if (!double.IsFinite(count) || count < 0 || count > float.MaxValue)
                return Bad($"the count of item '{item}' is {count}; counts must be finite, ≥ 0 and within float32's range");
        }
        return counts.All(c => c.Count == 0) ? Bad("every count is zero: there is nothing to fold in") : null;
    }

    private static ProblemHttpResult Bad(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: ServingProblems.BadRequest, detail: detail);
}
