using System.Collections.Concurrent;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// A completed Gaussian job served through its grains, as the local store serves it (GaussianModel): a prediction is
/// the rating's predictive mean and standard deviation, a user the job does not have is predicted from the user
/// population prior; recommend ranks a user's unrated items by predicted mean. The user's row comes from its user
/// shard, each item shard ranks its own items, the top lists are merged; μ, σ² and the population priors are the
/// coordinator's, from the job's final checkpoint.
/// </summary>
public sealed partial class JobModelQueries
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Created, GaussianHyperparameters Hyperparameters)> _gaussian = new(StringComparer.Ordinal);

    private static bool IsGaussian(ServedJob served) => served.Status.Spec.Training.Model == ModelKind.Gaussian;

    private async Task<RecommendationList> GaussianRecommendAsync(ServedJob served, string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken)
    {
        var h = await GaussianHyperparametersAsync(served, cancellationToken);
        var view = await GaussianUserAsync(served, user, cancellationToken) ?? throw new UnknownUserException(served.Status.Job, user);
        var items = await GaussianTopAsync(served, h, view.Mean, count, includeSeen ? null : view.SeenByItemShard, pool, cancellationToken);
        return new RecommendationList(served.Status.Job, user, served.Iteration, FromCheckpoint: false, items);
    }

    /// <summary>A user with no ratings: ranked by the prediction of the user population prior's mean.</summary>
    private async Task<RecommendationList> GaussianColdStartAsync(ServedJob served, int count, string[]? pool, CancellationToken cancellationToken)
    {
        var h = await GaussianHyperparametersAsync(served, cancellationToken);
        var items = await GaussianTopAsync(served, h, h.Users.Mean, count, null, pool, cancellationToken);
        return new RecommendationList(served.Status.Job, null, served.Iteration, FromCheckpoint: false, items);
    }

    /// <exception cref="UnknownItemException">An item the model does not have.</exception>
    private async Task<PredictionList> GaussianPredictAsync(ServedJob served, IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken)
    {
        var job = served.Status.Job;
        var h = await GaussianHyperparametersAsync(served, cancellationToken);
        var k = served.Factors;
        var known = new SortedDictionary<string, GaussianServedUser>(StringComparer.Ordinal);
        foreach (var user in pairs.Select(p => p.User).Distinct(StringComparer.Ordinal))
        {
            if (await GaussianUserAsync(served, user, cancellationToken) is { } view) known[user] = view;
        }
        var users = new GaussianRows("user", [.. known.Keys], k,
            [.. known.Values.SelectMany(u => u.Mean)], [.. known.Values.SelectMany(u => u.Covariance)]);

        var items = await GaussianItemRowsAsync(served, pairs.Select(p => p.Item), cancellationToken);

        // The asked rows as a model of their own: its Predict is the local store's, to the last bit.
        var model = new GaussianModel(served.Status.Spec.Training, users, items, h);
        var predictions = new Prediction[pairs.Count];
        for (var p = 0; p < pairs.Count; p++)
        {
            var (user, item) = pairs[p];
            var i = model.IndexOfItem(item);
            if (i < 0) throw new UnknownItemException(job, item);
            var u = model.IndexOfUser(user);
            var predicted = model.Predict(u, i);
            predictions[p] = new Prediction(user, item, predicted.Mean) { StandardDeviation = predicted.StandardDeviation, FromPrior = u < 0 };
        }
        return new PredictionList(job, served.Iteration, FromCheckpoint: false, predictions);
    }

    /// <summary>
    /// A new user's posterior from a few ratings, the items held fixed, as the local store folds one in
    /// (GaussianModel.FoldIn on the rated items' rows), and their top <paramref name="count"/> unrated items by predicted
    /// mean. Items the model does not know are left out and listed.
    /// </summary>
    private async Task<FoldInResult> GaussianFoldInAsync(ServedJob served, string? user, IReadOnlyList<ItemCount> ratings, int count, CancellationToken cancellationToken)
    {
        var h = await GaussianHyperparametersAsync(served, cancellationToken);
        var rows = await GaussianItemRowsAsync(served, ratings.Select(r => r.Item), cancellationToken);
        var model = new GaussianModel(served.Status.Spec.Training, new GaussianRows("user", [], served.Factors, [], []), rows, h);
        var items = new List<int>(ratings.Count);
        var values = new List<float>(ratings.Count);
        var unknown = new List<string>();
        foreach (var (item, rating) in ratings)
        {
            var i = model.IndexOfItem(item);
            if (i < 0)
            {
                unknown.Add(item);
                continue;
            }
            items.Add(i);
            values.Add((float)rating);
        }
        var posterior = model.FoldIn(items.ToArray(), values.ToArray());
        var top = Array.Empty<Recommendation>();
        if (count > 0)
        {
            // Each shard's list is long enough that, with the rated items taken out, the best count are still in it.
            var rated = rows.Ids.ToHashSet(StringComparer.Ordinal);
            var ranked = await GaussianTopAsync(served, h, posterior.Mean, count + rated.Count, null, null, cancellationToken);
            top = [.. ranked.Where(r => !rated.Contains(r.Item)).Take(count)];
        }
        return new FoldInResult(served.Status.Job, user, Array.ConvertAll(posterior.Mean, v => (float)v), [], [], [], 1, [.. unknown], top) { Ratings = true };
    }

    /// <summary>
    /// Scores a Gaussian job on a test set of ratings as the local store does: RMSE, MAE and mean log-density of the
    /// predicted means over every test rating (a user or item the job does not have from its population prior); the
    /// predictive log-density per rating over those whose user and item it has; precision, recall and NDCG at
    /// <paramref name="k"/> of each known user's ranking of the items they did not rate in training, every rated test
    /// item of theirs not rated in training relevant.
    /// </summary>
    private async Task<ClusterEvaluation> GaussianEvaluateAsync(ServedJob served, Dataset test, int k, CancellationToken cancellationToken)
    {
        var h = await GaussianHyperparametersAsync(served, cancellationToken);
        var (items, where) = await GaussianItemRowsWithPlacesAsync(served, test.ItemIds, cancellationToken);
        var model = new GaussianModel(served.Status.Spec.Training, new GaussianRows("user", [], served.Factors, [], []), items, h);
        var itemIndex = new int[test.Items];
        for (var i = 0; i < test.Items; i++) itemIndex[i] = model.IndexOfItem(test.ItemIds[i]);
        var idealGain = DiscountedGain.IdealTable(k);

        var perUser = await ScoreUsersAsync(test.Users,
            u => GaussianEvaluateUserAsync(served, h, model, test, u, itemIndex, where, k, idealGain, cancellationToken), cancellationToken);

        // Summed in user order, so the report does not depend on which user finished first.
        double squares = 0, absolute = 0, allDensity = 0, knownDensity = 0, precision = 0, recall = 0, ndcg = 0;
        long ratings = 0, cold = 0, known = 0, unknownUser = 0, unknownItem = 0;
        var evaluated = 0;
        foreach (var score in perUser)
        {
            squares += score.Squares;
            absolute += score.Absolute;
            allDensity += score.Density;
            ratings += score.Ratings;
            cold += score.ColdStart;
            knownDensity += score.KnownDensity;
            known += score.Known;
            unknownUser += score.UnknownUser;
            unknownItem += score.UnknownItem;
            if (!score.Ranked) continue;
            evaluated++;
            precision += score.Precision;
            recall += score.Recall;
            ndcg += score.Ndcg;
        }
        var c = Math.Max(1, ratings);
        return new ClusterEvaluation(served.Status.Job, served.Iteration, FromCheckpoint: false,
            known > 0 ? knownDensity / known : double.NaN,
            evaluated > 0 ? precision / evaluated : double.NaN, evaluated > 0 ? recall / evaluated : double.NaN, evaluated > 0 ? ndcg / evaluated : double.NaN,
            k, evaluated, known, unknownUser, unknownItem)
        {
            Ratings = new GaussianRatingErrors(ratings, cold, Math.Sqrt(squares / c), absolute / c, allDensity / c),
        };
    }

    private readonly record struct GaussianUserScore(double Squares, double Absolute, double Density, long Ratings, long ColdStart,
        double KnownDensity, long Known, long UnknownUser, long UnknownItem, bool Ranked, double Precision, double Recall, double Ndcg);

    private static async Task<GaussianUserScore> GaussianEvaluateUserAsync(ServedJob served, GaussianHyperparameters h, GaussianModel model, Dataset test, int u,
        int[] itemIndex, (int Shard, int Local)[] where, int k, double[] idealGain, CancellationToken cancellationToken)
    {
        var others = test.ByUser.OthersOf(u).ToArray();
        var ratings = test.ByUser.CountsOf(u).ToArray();
        var view = await GaussianUserAsync(served, test.UserIds[u], cancellationToken);
        var posterior = view is null ? model.UserPosterior(-1) : (view.Mean, view.Covariance);
        double squares = 0, absolute = 0, density = 0, knownDensity = 0;
        long cold = 0, known = 0, unknownItem = 0;
        var relevant = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n < others.Length; n++)
        {
            var item = itemIndex[others[n]];
            var prediction = model.Predict(posterior, item);
            var error = ratings[n] - prediction.Mean;
            var logDensity = LogDensity(prediction, ratings[n]);
            squares += error * error;
            absolute += Math.Abs(error);
            density += logDensity;
            if (view is null || item < 0) cold++;
            if (view is null) continue;
            if (item < 0)
            {
                unknownItem++;
                continue;
            }
            knownDensity += logDensity;
            known++;
            var (shard, local) = where[item];
            if (Array.BinarySearch(view.SeenByItemShard[shard], local) < 0) relevant.Add(model.ItemIds[item]);
        }
        var score = new GaussianUserScore(squares, absolute, density, others.Length, cold, knownDensity, known, view is null ? others.Length : 0, unknownItem, false, 0, 0, 0);
        if (view is null || relevant.Count == 0) return score;

        var ranked = await GaussianTopAsync(served, h, view.Mean, k, view.SeenByItemShard, null, cancellationToken);
        var (precision, recall, ndcg) = RankingScores(ranked, relevant, k, idealGain);
        return score with { Ranked = true, Precision = precision, Recall = recall, Ndcg = ndcg };
    }

    /// <summary>log N(r; the predictive mean, the predictive variance), as the local evaluation takes it.</summary>
    private static double LogDensity(RatingPrediction p, double rating)
    {
        var z = (rating - p.Mean) / p.StandardDeviation;
        return -0.5 * Math.Log(2 * Math.PI) - Math.Log(p.StandardDeviation) - 0.5 * z * z;
    }

    /// <summary>The named items the job has as rows in ordinal id order, with each row's item shard and local index there.</summary>
    private static async Task<(GaussianRows Rows, (int Shard, int Local)[] Where)> GaussianItemRowsWithPlacesAsync(ServedJob served, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var k = served.Factors;
        var d = k + 1;
        var shards = served.Shards.Items;
        var byShard = new List<string>[shards.Length];
        for (var j = 0; j < shards.Length; j++) byShard[j] = [];
        foreach (var item in ids.Distinct(StringComparer.Ordinal)) byShard[ShardRouting.ShardOf(item, shards.Length)].Add(item);
        var answers = await Task.WhenAll(Enumerable.Range(0, shards.Length).Select(j => byShard[j].Count == 0
            ? Task.FromResult(new GaussianShardRows(0, [], [], [], null))
            : shards[j].GaussianServeRows([.. byShard[j]], cancellationToken)));
        var found = new SortedDictionary<string, (double[] Mean, double[] Covariance, int Shard, int Local)>(StringComparer.Ordinal);
        for (var j = 0; j < answers.Length; j++)
        {
            var answer = answers[j];
            for (var n = 0; n < answer.Ids.Length; n++)
                found[answer.Ids[n]] = (answer.Mean[(n * d)..((n + 1) * d)], answer.Covariance[(n * d * d)..((n + 1) * d * d)], j, answer.Local.Length > n ? answer.Local[n] : -1);
        }
        var rows = new GaussianRows("item", [.. found.Keys], k, [.. found.Values.SelectMany(i => i.Mean)], [.. found.Values.SelectMany(i => i.Covariance)]);
        return (rows, [.. found.Values.Select(i => (i.Shard, i.Local))]);
    }

    /// <summary>The named items the job has, from their item shards, as rows in ordinal id order.</summary>
    private static async Task<GaussianRows> GaussianItemRowsAsync(ServedJob served, IEnumerable<string> ids, CancellationToken cancellationToken) =>
        (await GaussianItemRowsWithPlacesAsync(served, ids, cancellationToken)).Rows;

    /// <summary>Every item shard's best <paramref name="count"/> for the user's mean, merged: predicted mean descending, then ordinal id.</summary>
    private static async Task<Recommendation[]> GaussianTopAsync(ServedJob served, GaussianHyperparameters h, double[] userMean, int count, int[][]? exclude, string[]? pool, CancellationToken cancellationToken)
    {
        var shards = served.Shards.Items;
        var parts = await Task.WhenAll(shards.Select((shard, j) =>
            shard.GaussianTopItems(new GaussianTopItemsRequest(userMean, h.Mu, count, exclude is null ? [] : exclude[j], pool), cancellationToken)));
        var all = new List<Recommendation>(count * shards.Length);
        foreach (var part in parts)
        {
            for (var r = 0; r < part.Items.Length; r++) all.Add(new Recommendation(part.Items[r], part.Scores[r]));
        }
        all.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Item, b.Item));
        return [.. all.Take(count)];
    }

    private static async Task<GaussianServedUser?> GaussianUserAsync(ServedJob served, string user, CancellationToken cancellationToken)
    {
        var shard = served.Shards.Users[ShardRouting.ShardOf(user, served.Shards.Users.Length)];
        return await shard.GaussianServeUser(user, cancellationToken);
    }

    /// <summary>μ, σ² and the population priors of the job's final checkpoint, asked of its coordinator once per job instance.</summary>
    private async Task<GaussianHyperparameters> GaussianHyperparametersAsync(ServedJob served, CancellationToken cancellationToken)
    {
        var job = served.Status.Job;
        if (_gaussian.TryGetValue(job, out var cached) && cached.Created == served.Status.Created) return cached.Hyperparameters;
        var h = await grains.GetGrain<ICoordinatorGrain>(job).GaussianHyperparameters(cancellationToken)
            ?? throw new ModelNotServableException(job, served.Status.State, $"job '{job}' has no Gaussian hyperparameters in its checkpoint, so its model cannot be served");
        _gaussian[job] = (served.Status.Created, h);
        return h;
    }

    /// <summary>What the cluster does not offer for a Gaussian job, refused in plain words.</summary>
    private static void RefuseGaussian(string job, JobStatus status, string what, string instead)
    {
        if (status.Spec.Training.Model == ModelKind.Gaussian)
            throw new ModelNotServableException(job, status.State, $"job '{job}' is a Gaussian model of ratings: {what} through the cluster is not offered for it; {instead}");
    }
}
