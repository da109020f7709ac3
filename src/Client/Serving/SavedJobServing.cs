using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A job saved in the local store, served in this process: the model and the training set (what a user has seen) are
/// read on first use. It answers what the cluster answers, from the same model: recommendations as the evaluator
/// ranks, cold start and fold-in as the grains compute them, and add-user by saving the job again with the user in it.
/// </summary>
internal sealed class SavedJobServing(JobStore store, JobStoreEntry entry) : IModelServing
{
    private HpfModel? _model;
    private Dataset? _train;
    private double[]? _itemColumnSums;
    private double[]? _groupSums;

    public string Job => entry.Name;

    /// <summary>A user added to a budget job would need their groups in the saved training set's pairs, which only training builds: refused, not answered wrongly.</summary>
    private void RefuseBudget(string what)
    {
        if (Model.Options.Model == ModelKind.Budget)
            throw new CommandException(ExitCodes.BadOption, $"job '{Job}' is a budget model: {what} is not offered for it yet (recommend, fold-in, predict and evaluate are)");
    }

    /// <summary>The saved model itself, for what only a saved job answers (the budget model's groups).</summary>
    public HpfModel SavedModel => Model;

    /// <summary>The saved job's training set.</summary>
    public Dataset SavedTrain => Train;

    private HpfModel Model => _model ??= entry.LoadModel();
    private Dataset Train => _train ??= entry.LoadTrainingSet();
    private double[] ItemColumnSums => _itemColumnSums ??= SavedModelFoldIn.ItemColumnSums(Model);
    /// <summary>B of a budget model (null for others), for its fold-in.</summary>
    private double[]? GroupSums => _groupSums ??= SavedModelFoldIn.GroupSums(Model);

    /// <summary>A saved job is a finished model: what it serves is its last iteration.</summary>
    private int Iteration => entry.Manifest.Iterations;

    public Task<RecommendationList> RecommendAsync(string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken)
    {
        var model = Model;
        var u = IndexOfUser(user);
        var excluded = new HashSet<int>();
        if (!includeSeen)
        {
            var row = Train.IndexOfUser(user);
            if (row >= 0) excluded.UnionWith(Train.ByUser.OthersOf(row).ToArray());
        }
        if (PoolIndices(pool) is { } inPool)
        {
            for (var i = 0; i < model.Items; i++)
                if (!inPool.Contains(i)) excluded.Add(i);
        }
        var ranked = new UserRanking(model).Top(u, count, excluded.ToArray());
        var items = ranked.Select(r => new Recommendation(model.ItemIds[r.Item], r.Score)).ToArray();
        return Task.FromResult(new RecommendationList(Job, user, Iteration, FromCheckpoint: false, items));
    }

    public Task<RecommendationList> ColdStartAsync(int count, string[]? pool, CancellationToken cancellationToken)
    {
        var model = Model;
        var ones = new float[model.Factors];
        Array.Fill(ones, 1f);
        var items = new ThetaRanking(model).Top(ones, count, excluded: null, PoolIndices(pool));
        return Task.FromResult(new RecommendationList(Job, null, Iteration, FromCheckpoint: false, items));
    }

    public Task<PredictionList> PredictAsync(IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken)
    {
        var model = Model;
        var predictions = new Prediction[pairs.Count];
        for (var p = 0; p < pairs.Count; p++)
        {
            var (user, item) = pairs[p];
            predictions[p] = new Prediction(user, item, model.Predict(IndexOfUser(user), IndexOfItem(item)));
        }
        return Task.FromResult(new PredictionList(Job, Iteration, FromCheckpoint: false, predictions));
    }

    public Task<FoldInResult> FoldInAsync(string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var fold = SavedModelFoldIn.Run(Model, user, counts, ItemColumnSums, GroupSums);
            var theta = fold.Theta(Model.Members);
            var items = count > 0 ? new ThetaRanking(Model).Top(theta, count, fold.Items.ToHashSet(), pool: null) : [];
            return new FoldInResult(Job, user, theta, fold.Shape, fold.Rate, fold.ActivityRate, fold.Updates, fold.UnknownItems, items);
        }, cancellationToken);

    public Task<FoldInResult> AddUserAsync(string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            RefuseBudget("add-user");
            var model = Model;
            if (!updateExisting && model.IndexOfUser(user) >= 0)
                throw new CommandException(ExitCodes.BadOption, $"user '{user}' is already in job '{Job}': pass --update-existing to replace them");
            var fold = SavedModelFoldIn.Run(model, user, counts, ItemColumnSums);
            var (withUser, trainWithUser) = SavedJobWithUser.Of(model, Train, user, fold);
            cancellationToken.ThrowIfCancellationRequested();
            // The saved job again, whole and atomically (as train saves it): the user's row, and their counts as their training row.
            var manifest = entry.Manifest with { Users = trainWithUser.Users, Nonzeros = trainWithUser.Nonzeros };
            var saved = store.Save(manifest, withUser, trainWithUser, cancellationToken);
            (_model, _train) = (withUser, trainWithUser);
            entry = saved;
            return new FoldInResult(Job, user, fold.Theta(Model.Members), fold.Shape, fold.Rate, fold.ActivityRate, fold.Updates, fold.UnknownItems, []);
        }, cancellationToken);

    public Task<ServedEvaluation> EvaluateAsync(string testFile, DatasetFormat format, bool header, int k, int threads, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            // The test file first: a bad line is reported before the model is read.
            var test = TripletFileReader.Read(testFile, format, cancellationToken, header);
            var report = ModelEvaluator.Evaluate(Model, Train, test, k, threads, cancellationToken);
            return new ServedEvaluation(report, Iteration, FromCheckpoint: false);
        }, cancellationToken);

    // Nothing is held open: the job's files are read whole and closed on first use.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private int IndexOfUser(string user)
    {
        var u = Model.IndexOfUser(user);
        return u >= 0 ? u : throw new CommandException(ExitCodes.UnknownUser, $"user '{user}' is not in job '{Job}' (its training data has {Model.Users} users)");
    }

    private int IndexOfItem(string item)
    {
        var i = Model.IndexOfItem(item);
        return i >= 0 ? i : throw new CommandException(ExitCodes.UnknownItem, $"item '{item}' is not in job '{Job}' (its training data has {Model.Items} items)");
    }

    /// <summary>The pool's ids the model has, as indices (the others are ignored, as the cluster ignores them); null without a pool.</summary>
    private HashSet<int>? PoolIndices(string[]? pool) =>
        pool is null ? null : pool.Select(Model.IndexOfItem).Where(i => i >= 0).ToHashSet();
}
