using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>A cluster job's model, asked through the grains that hold it; the cluster's refusals keep its own messages.</summary>
internal sealed partial class ClusterModelServing(ClusterJobs client, string job) : IModelServing
{
    public string Job => job;

    public Task<RecommendationList> RecommendAsync(string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken) =>
        client.RecommendAsync(job, user, count, includeSeen, pool, cancellationToken);

    public Task<RecommendationList> ColdStartAsync(int count, string[]? pool, CancellationToken cancellationToken) =>
        client.ColdStartAsync(job, count, pool, cancellationToken);

    public Task<PredictionList> PredictAsync(IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken) =>
        client.PredictAsync(job, pairs, cancellationToken);

    public Task<FoldInResult> FoldInAsync(string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken) =>
        client.FoldInAsync(job, user, counts, count, cancellationToken);

    public async Task<FoldInResult> AddUserAsync(string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken)
    {
        try
        {
            return await client.AddUserAsync(job, user, counts, updateExisting, cancellationToken);
        }
        catch (ClusterApiException e) when (e.Failure == ClusterFailure.UserExists)
        {
            throw new CommandException(ExitCodes.BadOption,
                $"user '{user}' is already in job '{job}' on {client.Where}: pass --update-existing to replace them", e);
        }
    }

    public async Task<ServedEvaluation> EvaluateAsync(string testFile, DatasetFormat format, bool header, int k, int threads, CancellationToken cancellationToken)
    {
        // The path as the user typed it names the file in the file:line errors, as a local read would.
        await using var stream = new FileStream(testFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var served = await client.EvaluateAsync(job, stream, testFile, format, k, cancellationToken, header);
        // The test set was read into one dataset, so its counts fit the engine's int fields.
        var report = new EvaluationReport(served.HeldOutLogLikelihood, served.PrecisionAtK, served.RecallAtK, served.NdcgAtK, served.K,
            served.UsersEvaluated, checked((int)served.TestNonzeros), checked((int)served.SkippedUnknownUser), checked((int)served.SkippedUnknownItem));
        return new ServedEvaluation(report, served.ServedIteration, served.FromCheckpoint)
        {
            Ratings = served.Ratings is { } r ? new Grains.Engine.Gaussian.RatingErrors(r.Ratings, r.ColdStart, r.Rmse, r.Mae, r.MeanLogDensity) : null,
        };
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
