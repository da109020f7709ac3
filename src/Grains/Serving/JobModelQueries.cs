using System.Collections.Concurrent;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// Answers questions of a job's trained model through the grains that hold it (DESIGN.md, "Serve"): top-N for a user
/// (θ_u from its user shard, each item shard's best given θ_u, merged), predictions, fold-in of a new user's counts,
/// add-user, cold start, evaluation on a test set and partial fit. Used by the silo's HTTP API (one instance per silo) and
/// by the console over Orleans (one per connection). Every request
/// reads the job's status from its coordinator (one call), so a cancelled, failed, deleted or replaced job is noticed
/// at once; the job's shard references are kept per job instance (its creation time).
/// </summary>
public sealed partial class JobModelQueries(IGrainFactory grains)
{
    /// <summary>Users evaluated at a time: each is a few grain calls, which overlap.</summary>
    private const int UsersInFlight = 16;

    private readonly ConcurrentDictionary<string, ServedJob> _jobs = new(StringComparer.Ordinal);

    private sealed record ServedJob(JobStatus Status, ShardSet Shards)
    {
        public bool FromCheckpoint => Status.State != JobState.Completed;
        public int Iteration => FromCheckpoint ? Status.LastCheckpoint : Status.Iteration;
        public int Factors => Status.Spec.Training.Factors;
        public int Members => Status.Spec.Training.Members;
    }

    /// <summary>The user's top <paramref name="count"/> items; those they have seen are left out unless <paramref name="includeSeen"/>.</summary>
    /// <param name="pool">Rank only these item ids (unknown ones are ignored); null: every item.</param>
    public async Task<RecommendationList> RecommendAsync(string job, string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var served = await JobAsync(job, cancellationToken);
        if (IsGaussian(served)) return await GaussianRecommendAsync(served, user, count, includeSeen, pool, cancellationToken);
        var view = await UserAsync(served, user, cancellationToken);
        var items = await TopAsync(served, PredictionFactors(served, view.Theta), count, includeSeen ? null : view.SeenByItemShard, pool, cancellationToken);
        return new RecommendationList(job, user, served.Iteration, served.FromCheckpoint, items);
    }

    /// <summary>A user with no data: the prior predictive ranks items by Σ_k E[β_ik] (HPF-MATH.md, "Predictions").</summary>
    public async Task<RecommendationList> ColdStartAsync(string job, int count, string[]? pool, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var served = await JobAsync(job, cancellationToken);
        if (IsGaussian(served)) return await GaussianColdStartAsync(served, count, pool, cancellationToken);
        var ones = new float[served.Factors];
        Array.Fill(ones, 1f);
        var items = await TopAsync(served, ones, count, null, pool, cancellationToken);
        return new RecommendationList(job, null, served.Iteration, served.FromCheckpoint, items);
    }

    /// <summary>E[θ_u]·E[β_i] for each pair, in order.</summary>
    /// <exception cref="UnknownUserException">A user the model does not have.</exception>
    /// <exception cref="UnknownItemException">An item the model does not have.</exception>
    public async Task<PredictionList> PredictAsync(string job, IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken)
    {
        var served = await JobAsync(job, cancellationToken);
        if (IsGaussian(served)) return await GaussianPredictAsync(served, pairs, cancellationToken);
        var k = served.Factors;
        var users = new Dictionary<string, ServedUser>(StringComparer.Ordinal);
        foreach (var user in pairs.Select(p => p.User).Distinct(StringComparer.Ordinal))
            users[user] = await UserAsync(served, user, cancellationToken);
        var items = await ServedItems.RowsAsync(served.Shards, served.Factors, pairs.Select(p => p.Item), expectedLog: false, cancellationToken);
        var predictions = new Prediction[pairs.Count];
        for (var j = 0; j < pairs.Count; j++)
        {
            var (user, item) = pairs[j];
            if (!items.TryGetValue(item, out var row)) throw new UnknownItemException(job, item);
            predictions[j] = new Prediction(user, item, Predicted(served, users[user].Theta, row.Expected));
        }
        return new PredictionList(job, served.Iteration, served.FromCheckpoint, predictions);
    }

    /// <summary>
    /// Folds a user's counts in against the fixed items and returns their factors and their top <paramref name="count"/>
    /// items among those not counted. Items the model does not know are left out and listed.
    /// </summary>
    /// <param name="user">The user's id, which seeds the initialisation as it would a trained user's; null for an anonymous one.</param>
    public async Task<FoldInResult> FoldInAsync(string job, string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken)
    {
        var served = await FinishedJobAsync(job, "fold-in", cancellationToken);
        if (IsGaussian(served)) return await GaussianFoldInAsync(served, user, counts, count, cancellationToken);
        (IReadOnlyDictionary<string, int>, double[])? groups = served.Status.Spec.Training.Model == ModelKind.Budget ? await FoldInGroupsAsync(served, cancellationToken) : null;
        var fold = await ServedItems.FoldUserAsync(served.Shards, served.Status.Spec.Training, user ?? "", counts, statistics: false, cancellationToken, groups: groups);
        var theta = new float[served.Factors];
        System.Numerics.Tensors.TensorPrimitives.Divide(fold.Shape, fold.Rate, theta);
        theta = PredictionFactors(served, theta);
        var items = count > 0 ? await TopAsync(served, theta, count, fold.Seen, null, cancellationToken) : [];
        return new FoldInResult(job, user, theta, fold.Shape, fold.Rate, fold.ActivityRate, fold.Updates, fold.Unknown, items);
    }

    /// <summary>
    /// Adding a user to a budget job would need the user's (user, group) pairs in its user shard, which a shard builds only
    /// when it is sealed: refused rather than served without them.
    /// </summary>
    private static void RefuseBudget(string job, JobStatus status, string what)
    {
        if (status.Spec.Training.Model == ModelKind.Budget)
            throw new ModelNotServableException(job, status.State, $"job '{job}' is a budget model: {what} is not offered for it yet (recommend, fold-in, predict and evaluate are)");
    }

    /// <summary>
    /// Folds the user in and stores them in their user shard, so later requests serve them like a trained user; item
    /// parameters are not touched. An existing user is replaced only with <paramref name="replaceExisting"/>.
    /// </summary>
    public async Task<FoldInResult> AddUserAsync(string job, string user, IReadOnlyList<ItemCount> counts, bool replaceExisting, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var served = await FinishedJobAsync(job, "add-user", cancellationToken);
        RefuseBudget(job, served.Status, "add-user");
        RefuseGaussian(job, served.Status, "add-user", "add-user is for HPF jobs (fold-in gives a new user's posterior from the local store)");
        var fold = await ServedItems.FoldUserAsync(served.Shards, served.Status.Spec.Training, user, counts, statistics: false, cancellationToken);
        var shard = served.Shards.Users[ShardRouting.ShardOf(user, served.Shards.Users.Length)];
        await shard.AddUser(new AddedUser(user, fold.Shape, fold.Rate, fold.ActivityRate, fold.Seen, fold.SeenCounts), replaceExisting, cancellationToken);
        var theta = new float[served.Factors];
        System.Numerics.Tensors.TensorPrimitives.Divide(fold.Shape, fold.Rate, theta);
        return new FoldInResult(job, user, PredictionFactors(served, theta), fold.Shape, fold.Rate, fold.ActivityRate, fold.Updates, fold.Unknown, []);
    }

    /// <summary>
    /// Scores the served model on a test set as the engine's evaluator does: held-out log-likelihood per scored test
    /// nonzero; precision, recall and NDCG at <paramref name="k"/> of each user's ranking of every item not in their
    /// training data, over users with scored test items. Rows whose user or item the model lacks are counted and skipped.
    /// </summary>
    /// <summary>Each test user's score, at most <see cref="UsersInFlight"/> users asked at once, kept in user order.</summary>
    private static async Task<T[]> ScoreUsersAsync<T>(int users, Func<int, Task<T>> score, CancellationToken cancellationToken)
    {
        var perUser = new T[users];
        using var gate = new SemaphoreSlim(UsersInFlight);
        await Task.WhenAll(Enumerable.Range(0, users).Select(async u =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                perUser[u] = await score(u);
            }
            finally
            {
                gate.Release();
            }
        }));
        return perUser;
    }

    public async Task<ClusterEvaluation> EvaluateAsync(string job, Dataset test, int k, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var served = await JobAsync(job, cancellationToken);
        if (IsGaussian(served)) return await GaussianEvaluateAsync(served, test, k, cancellationToken);
        // Scored on the scale the model was fitted to, as the in-process evaluator does.
        test = CountTransforms.Apply(served.Status.Spec.Training.Transform, test);
        var factors = served.Factors;
        var idealGain = DiscountedGain.IdealTable(k);

        var perUser = await ScoreUsersAsync(test.Users, u => EvaluateUserAsync(served, test, u, k, idealGain, cancellationToken), cancellationToken);

        // Summed in user order, so the report does not depend on which user finished first.
        double llk = 0, precision = 0, recall = 0, ndcg = 0, logFactorials = 0;
        long scored = 0, unknownUser = 0, unknownItem = 0;
        var evaluated = 0;
        foreach (var score in perUser)
        {
            llk += score.LogLikelihood;
            logFactorials += score.LogFactorials;
            scored += score.Scored;
            unknownUser += score.UnknownUser;
            unknownItem += score.UnknownItem;
            if (score.Scored == 0) continue;
            evaluated++;
            precision += score.Precision;
            recall += score.Recall;
            ndcg += score.Ndcg;
        }
        return new ClusterEvaluation(job, served.Iteration, served.FromCheckpoint,
            scored > 0 ? (llk - logFactorials) / scored : double.NaN,
            evaluated > 0 ? precision / evaluated : double.NaN, evaluated > 0 ? recall / evaluated : double.NaN, evaluated > 0 ? ndcg / evaluated : double.NaN,
            k, evaluated, scored, unknownUser, unknownItem);
    }

    private readonly record struct UserScore(double LogLikelihood, double LogFactorials, long Scored, long UnknownUser, long UnknownItem, double Precision, double Recall, double Ndcg);

    private async Task<UserScore> EvaluateUserAsync(ServedJob served, Dataset test, int u, int k, double[] idealGain, CancellationToken cancellationToken)
    {
        var items = test.ByUser.OthersOf(u).ToArray();
        var counts = test.ByUser.CountsOf(u).ToArray();
        var userId = test.UserIds[u];
        var shard = served.Shards.Users[ShardRouting.ShardOf(userId, served.Shards.Users.Length)];
        var view = await shard.ServeUser(userId, cancellationToken);
        if (view is null) return new UserScore(0, 0, 0, items.Length, 0, 0, 0, 0);

        var rows = await ServedItems.RowsAsync(served.Shards, served.Factors, items.Select(i => test.ItemIds[i]), expectedLog: false, cancellationToken);
        double llk = 0, logFactorials = 0;
        long unknown = 0;
        var relevant = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n < items.Length; n++)
        {
            var item = test.ItemIds[items[n]];
            if (!rows.TryGetValue(item, out var row))
            {
                unknown++;
                continue;
            }
            var mu = Predicted(served, view.Theta, row.Expected);
            llk += counts[n] * Math.Log(mu) - mu;
            logFactorials += LogFactorial.Of(counts[n]);
            relevant.Add(item);
        }
        if (relevant.Count == 0) return new UserScore(0, 0, 0, 0, unknown, 0, 0, 0);

        var ranked = await TopAsync(served, PredictionFactors(served, view.Theta), k, view.SeenByItemShard, null, cancellationToken);
        var (precision, recall, ndcg) = RankingScores(ranked, relevant, k, idealGain);
        return new UserScore(llk, logFactorials, relevant.Count, 0, unknown, precision, recall, ndcg);
    }

    /// <summary>Precision, recall and binary NDCG at <paramref name="k"/> of one user's ranking against their relevant items, for every model.</summary>
    private static (double Precision, double Recall, double Ndcg) RankingScores(Recommendation[] ranked, HashSet<string> relevant, int k, double[] idealGain)
    {
        var hits = 0;
        double gain = 0;
        for (var r = 0; r < ranked.Length; r++)
        {
            if (!relevant.Contains(ranked[r].Item)) continue;
            hits++;
            gain += DiscountedGain.At(r);
        }
        var attainable = Math.Min(k, relevant.Count);
        return ((double)hits / k, (double)hits / attainable, gain / idealGain[attainable]);
    }

    /// <summary>
    /// Every item shard's best <paramref name="count"/> for θ (a user's <see cref="PredictionFactors"/>, so that a score
    /// is the predicted count), merged: score descending, then ordinal id (the engine's tie order).
    /// </summary>
    private static async Task<Recommendation[]> TopAsync(ServedJob served, float[] theta, int count, int[][]? exclude, string[]? pool, CancellationToken cancellationToken)
    {
        var shards = served.Shards.Items;
        var parts = await Task.WhenAll(shards.Select((shard, j) =>
            shard.TopItems(new TopItemsRequest(theta, count, exclude is null ? [] : exclude[j], pool), cancellationToken)));
        var all = new List<Recommendation>(count * shards.Length);
        foreach (var part in parts)
        {
            for (var r = 0; r < part.Items.Length; r++) all.Add(new Recommendation(part.Items[r], part.Scores[r]));
        }
        all.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Item, b.Item));
        return [.. all.Take(count)];
    }

    private async Task<ServedUser> UserAsync(ServedJob served, string user, CancellationToken cancellationToken)
    {
        var shard = served.Shards.Users[ShardRouting.ShardOf(user, served.Shards.Users.Length)];
        return await shard.ServeUser(user, cancellationToken) ?? throw new UnknownUserException(served.Status.Job, user);
    }

    private async Task<ServedJob> FinishedJobAsync(string job, string what, CancellationToken cancellationToken)
    {
        var served = await JobAsync(job, cancellationToken);
        if (served.Status.State != JobState.Completed)
            throw new ModelNotServableException(job, served.Status.State, $"job '{job}' is still training: {what} needs its finished model (recommend and predict serve its last checkpoint meanwhile)");
        return served;
    }

    /// <summary>The job's shards and what they serve; refuses, each with its own message, a job with no model to serve.</summary>
    private async Task<ServedJob> JobAsync(string job, CancellationToken cancellationToken)
    {
        _jobs.TryGetValue(job, out var cached);
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job);
        var status = await coordinator.GetStatus(cancellationToken);
        if (status is null)
        {
            _jobs.TryRemove(job, out _);
            throw new JobNotFoundException(job);
        }
        var problem = status is { State: JobState.Training, Spec.Training.Model: ModelKind.Gaussian }
            ? $"job '{job}' is a Gaussian model of ratings and is training: the cluster serves it once it has completed"
            : status.State switch
        {
            JobState.Completed => null,
            JobState.Training when status.LastCheckpoint > 0 => null,
            JobState.Training when status.Spec.CheckpointEvery == 0 => $"job '{job}' is training without checkpoints: its model is served once it completes",
            JobState.Training => $"job '{job}' is training and has not written its first checkpoint yet (every {status.Spec.CheckpointEvery} iterations)",
            JobState.Failed => $"job '{job}' failed, so it has no model to serve: {status.Error}",
            JobState.Cancelled => $"job '{job}' was cancelled before it finished, so it has no model to serve",
            _ => $"job '{job}' is {status.State.ToString().ToLowerInvariant()}: it has no model until it has trained",
        };
        if (problem is not null)
        {
            _jobs.TryRemove(job, out _);
            throw new ModelNotServableException(job, status.State, problem);
        }
        var shards = cached is not null && cached.Status.Created == status.Created ? cached.Shards : await coordinator.GetShards(cancellationToken);
        var served = new ServedJob(status, shards);
        _jobs[job] = served;
        return served;
    }

    /// <summary>
    /// hpfrec's partial_fit on a finished job: the new users' counts go to the coordinator, which folds them in, moves
    /// the items they touch by the SVI global step and stores the users for serving.
    /// </summary>
    /// <param name="usersPerBatch">Users per mini-batch; null: the job's, else all at once.</param>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="ModelNotServableException">The job has not completed: a partial fit goes on from a finished model.</exception>
    public async Task<PartialFitResult> PartialFitAsync(string job, Dataset batch, int? usersPerBatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (usersPerBatch is < 1) throw new ArgumentOutOfRangeException(nameof(usersPerBatch), usersPerBatch, "usersPerBatch must be ≥ 1");
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job);
        var status = await coordinator.GetStatus(cancellationToken) ?? throw new JobNotFoundException(job);
        if (status.Spec.Training.Model == ModelKind.Gaussian)
            throw new ModelNotServableException(job, status.State, $"job '{job}' is a Gaussian model of ratings: partial fit is HPF's SVI step and is not available for it");
        if (status.State != JobState.Completed)
            throw new ModelNotServableException(job, status.State, $"job '{job}' is {status.State.ToString().ToLowerInvariant()}: a partial fit goes on from a finished model");
        var users = new List<string>(batch.Nonzeros);
        var items = new List<string>(batch.Nonzeros);
        var counts = new List<float>(batch.Nonzeros);
        for (var u = 0; u < batch.Users; u++)
        {
            var others = batch.ByUser.OthersOf(u);
            var ys = batch.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                users.Add(batch.UserIds[u]);
                items.Add(batch.ItemIds[others[n]]);
                counts.Add(ys[n]);
            }
        }
        return await coordinator.PartialFit(new PartialFitRequest([.. users], [.. items], [.. counts], usersPerBatch), cancellationToken);
    }

    /// <summary>Forgets what is known of a job (it was deleted or replaced).</summary>
    public void Forget(string job) => _jobs.TryRemove(job, out _);

    /// <summary>The predicted count E[θ]·E[β] / M: the ensemble members' mean.</summary>
    private static double Predicted(ServedJob served, float[] theta, float[] beta)
    {
        double sum = 0;
        for (var f = 0; f < served.Factors; f++) sum += (double)theta[f] * beta[f];
        return sum / served.Members;
    }

    /// <summary>E[θ] / M: the user's factors whose dot product with E[β] is the predicted count.</summary>
    private static float[] PredictionFactors(ServedJob served, float[] theta)
    {
        if (served.Members == 1) return theta;
        var scaled = new float[theta.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(theta, served.Members, scaled);
        return scaled;
    }
}
