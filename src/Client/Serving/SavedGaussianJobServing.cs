using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A saved job of the Gaussian model, served in this process: predictions are the predictive mean and standard
/// deviation of the rating, recommendations rank the items a user has not rated by predicted mean, a user with no
/// ratings (--new-user, or an unknown user in predict) is served from the learnt population prior, and fold-in turns a
/// few ratings into a user's posterior with the items held fixed.
/// </summary>
internal sealed class SavedGaussianJobServing(JobStoreEntry entry) : IModelServing
{
    private GaussianModel? _model;
    private Dataset? _train;

    public string Job => entry.Name;

    private GaussianModel Model => _model ??= entry.LoadGaussianModel();
    private Dataset Train => _train ??= entry.LoadTrainingSet();
    private int Iteration => entry.Manifest.Iterations;

    public Task<RecommendationList> RecommendAsync(string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken)
    {
        var u = Model.IndexOfUser(user);
        if (u < 0) throw new CommandException(ExitCodes.UnknownUser, $"user '{user}' is not in job '{Job}' (its training data has {Model.Users.Rows} users); --new-user ranks items for a user with no ratings");
        var seen = new HashSet<int>();
        if (!includeSeen)
        {
            var row = Train.IndexOfUser(user);
            if (row >= 0) seen.UnionWith(Train.ByUser.OthersOf(row).ToArray());
        }
        return Task.FromResult(new RecommendationList(Job, user, Iteration, FromCheckpoint: false, Rank(Model.UserPosterior(u), count, seen, pool)));
    }

    public Task<RecommendationList> ColdStartAsync(int count, string[]? pool, CancellationToken cancellationToken) =>
        Task.FromResult(new RecommendationList(Job, null, Iteration, FromCheckpoint: false, Rank(Model.UserPosterior(-1), count, [], pool)));

    public Task<PredictionList> PredictAsync(IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken)
    {
        var model = Model;
        var predictions = new Prediction[pairs.Count];
        for (var p = 0; p < pairs.Count; p++)
        {
            var (user, item) = pairs[p];
            var i = model.IndexOfItem(item);
            if (i < 0) throw new CommandException(ExitCodes.UnknownItem, $"item '{item}' is not in job '{Job}' (its training data has {model.Items.Rows} items)");
            var u = model.IndexOfUser(user);
            var predicted = model.Predict(u, i);
            predictions[p] = new Prediction(user, item, predicted.Mean) { StandardDeviation = predicted.StandardDeviation, FromPrior = u < 0 };
        }
        return Task.FromResult(new PredictionList(Job, Iteration, FromCheckpoint: false, predictions));
    }

    public Task<FoldInResult> FoldInAsync(string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var model = Model;
            var items = new List<int>();
            var ratings = new List<float>();
            var unknown = new List<string>();
            foreach (var (item, rating) in counts)
            {
                var i = model.IndexOfItem(item);
                if (i < 0)
                {
                    unknown.Add(item);
                    continue;
                }
                items.Add(i);
                ratings.Add((float)rating);
            }
            var posterior = model.FoldIn(items.ToArray(), ratings.ToArray());
            var top = count > 0 ? Rank(posterior, count, items.ToHashSet(), pool: null) : [];
            var mean = Array.ConvertAll(posterior.Mean, v => (float)v);
            return new FoldInResult(Job, user, mean, [], [], [], 1, unknown.ToArray(), top) { Ratings = true };
        }, cancellationToken);

    public Task<FoldInResult> AddUserAsync(string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken) =>
        throw new CommandException(ExitCodes.BadOption,
            $"job '{Job}' is a Gaussian model of ratings: add-user is for HPF jobs; fold-in gives a new user's posterior and items from their ratings");

    public Task<ServedEvaluation> EvaluateAsync(string testFile, DatasetFormat format, bool header, int k, int threads, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var test = TripletFileReader.Read(testFile, format, cancellationToken, header, ratings: true);
            return Evaluate(Model, Train, test, k, Iteration);
        }, cancellationToken);

    /// <summary>
    /// A Gaussian model's scores in the evaluator's report, with the rating errors beside it: the held-out
    /// log-likelihood is the predictive log-density per rating of the pairs whose user and item the model knows;
    /// RMSE and MAE take every test rating, a stranger predicted from the population prior.
    /// </summary>
    public static ServedEvaluation Evaluate(GaussianModel model, Dataset train, Dataset test, int k, int iteration)
    {
        var errors = GaussianEvaluation.Errors(model, test);
        var heldOut = HeldOutSet.Map(test, train);
        var density = heldOut.Count > 0 ? GaussianEvaluation.MeanLogDensity(model, heldOut) : double.NaN;
        var (precision, recall, ndcg, users) = GaussianRanking.Evaluate(model, train, test, k);
        var report = new EvaluationReport(density, precision, recall, ndcg, k, users, heldOut.Count, heldOut.SkippedUnknownUser, heldOut.SkippedUnknownItem);
        return new ServedEvaluation(report, iteration, FromCheckpoint: false) { Ratings = errors };
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The items by predicted mean for a user's posterior, best first (ties to the lower index), leaving out <paramref name="excluded"/>.</summary>
    private Recommendation[] Rank((double[] Mean, double[] Covariance) user, int count, HashSet<int> excluded, string[]? pool)
    {
        var model = Model;
        HashSet<int>? inPool = pool is null ? null : pool.Select(model.IndexOfItem).Where(i => i >= 0).ToHashSet();
        var d = model.Factors + 1;
        var candidates = new List<(double Score, int Item)>();
        for (var i = 0; i < model.Items.Rows; i++)
        {
            if (excluded.Contains(i) || inPool is not null && !inPool.Contains(i)) continue;
            var y = model.Items.Mean.AsSpan(i * d, d);
            var s = model.Hyperparameters.Mu + user.Mean[d - 1] + y[d - 1];
            for (var f = 0; f < d - 1; f++) s += user.Mean[f] * y[f];
            candidates.Add((s, i));
        }
        candidates.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return candidates.Take(count).Select(c => new Recommendation(model.ItemIds[c.Item], c.Score)).ToArray();
    }
}
