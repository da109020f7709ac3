using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Client.Serving;

/// <summary>A cluster job's model, asked through a silo's serving endpoints; the cluster's refusals keep its own messages.</summary>
internal sealed class ClusterModelServing(ClusterApiClient client, string job) : IModelServing
{
    public string Job => job;

    public Task<RecommendationList> RecommendAsync(string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken) =>
        client.RecommendAsync(job, new RecommendRequest { User = user, N = count, IncludeSeen = includeSeen, Pool = pool }, cancellationToken);

    public Task<RecommendationList> ColdStartAsync(int count, string[]? pool, CancellationToken cancellationToken) =>
        client.ColdStartAsync(job, new ColdStartRequest { N = count, Pool = pool }, cancellationToken);

    public Task<PredictionList> PredictAsync(IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken) =>
        client.PredictAsync(job, new PredictRequest { Pairs = [.. pairs.Select(p => new PredictionPair(p.User, p.Item))] }, cancellationToken);

    public Task<FoldInResult> FoldInAsync(string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken) =>
        client.FoldInAsync(job, new FoldInRequest { User = user, Counts = [.. counts], N = count }, cancellationToken);

    public async Task<FoldInResult> AddUserAsync(string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken)
    {
        try
        {
            return await client.AddUserAsync(job, new AddUserRequest { User = user, Counts = [.. counts], UpdateExisting = updateExisting }, cancellationToken).ConfigureAwait(false);
        }
        catch (ClusterApiException e) when (e.Failure == ClusterFailure.UserExists)
        {
            throw new CommandException(ExitCodes.BadOption,
                $"user '{user}' is already in job '{job}' on the cluster at {client.BaseAddress}: pass --update-existing to replace them", e);
        }
    }

    public async Task<ServedEvaluation> EvaluateAsync(string testFile, DatasetFormat format, int k, int threads, CancellationToken cancellationToken)
    {
        // The path as the user typed it names the file in the cluster's file:line errors, as a local read would.
        await using var stream = new FileStream(testFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var served = await client.EvaluateAsync(job, stream, testFile, format, k, cancellationToken).ConfigureAwait(false);
        // The cluster read the test set into one dataset, so its counts fit the engine's int fields.
        var report = new EvaluationReport(served.HeldOutLogLikelihood, served.PrecisionAtK, served.RecallAtK, served.NdcgAtK, served.K,
            served.UsersEvaluated, checked((int)served.TestNonzeros), checked((int)served.SkippedUnknownUser), checked((int)served.SkippedUnknownItem));
        return new ServedEvaluation(report, served.ServedIteration, served.FromCheckpoint);
    }

    public void Dispose() => client.Dispose();
}
