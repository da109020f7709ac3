using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>A completed Gaussian job served through the grains against the in-process model trained on the same ratings with the same options.</summary>
public sealed class GaussianServingTests
{
    private static readonly Dataset Ratings = GaussianClusterTests.Draw(users: 80, items: 60, seed: 11);

    private static readonly TrainingOptions Options = new()
    {
        Model = ModelKind.Gaussian, Factors = 3, Members = 1, MaxIterations = 8, CheckEvery = 4, Stop = StopRule.MaxIter, Seed = 3, Threads = 1,
    };

    /// <summary>The cluster's rows equal the in-process ones to float64 rounding (GaussianClusterTests); served values follow them.</summary>
    private const double Tolerance = 1e-7;

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 2, 3)]
    public async Task Predictions_and_top_N_through_the_cluster_are_those_of_the_in_process_model(int silos, int userShards, int itemShards)
    {
        var expected = new GaussianTrainer(Options).Train(Ratings).Model;
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(silos, storage);
        await ClusterJob.SubmitAsync(cluster.Client, "rated", new JobSpec { Training = Options, UserShards = userShards, ItemShards = itemShards, CheckpointEvery = 0 }, Ratings);
        var status = await ClusterJob.WaitAsync(cluster.Client, "rated");
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        var queries = new JobModelQueries(cluster.GrainFactoryOf(cluster.Silos[^1]));

        // Predict: mean and standard deviation; a user the job does not have from the population prior.
        var pairs = new List<(string User, string Item)>();
        foreach (var u in new[] { 0, 9, 41, Ratings.Users - 1 })
        {
            foreach (var i in new[] { 0, 7, 33, Ratings.Items - 1 }) pairs.Add((Ratings.UserIds[u], Ratings.ItemIds[i]));
        }
        pairs.Add(("stranger", Ratings.ItemIds[5]));
        var predicted = await queries.PredictAsync("rated", pairs, CancellationToken.None);
        Assert.Equal(pairs.Count, predicted.Predictions.Length);
        for (var p = 0; p < pairs.Count; p++)
        {
            var (user, item) = pairs[p];
            var u = expected.IndexOfUser(user);
            var want = expected.Predict(u, expected.IndexOfItem(item));
            var got = predicted.Predictions[p];
            Assert.Equal((user, item), (got.User, got.Item));
            Assert.Equal(want.Mean, got.Score, Tolerance);
            Assert.Equal(want.StandardDeviation, got.StandardDeviation!.Value, Tolerance);
            Assert.Equal(u < 0, got.FromPrior);
        }
        Assert.True(predicted.Predictions[^1].FromPrior);
        await Assert.ThrowsAsync<UnknownItemException>(() => queries.PredictAsync("rated", [(Ratings.UserIds[0], "no-such-item")], CancellationToken.None));

        // Recommend: unrated items by predicted mean; with the rated ones; among a pool; a new user by the prior.
        foreach (var u in new[] { 0, 23, Ratings.Users - 1 })
        {
            var user = Ratings.UserIds[u];
            var seen = Ratings.ByUser.OthersOf(u).ToArray().Select(i => Ratings.ItemIds[i]).ToHashSet();
            var served = await queries.RecommendAsync("rated", user, 10, includeSeen: false, pool: null, CancellationToken.None);
            AssertRanking(Ranked(expected, expected.UserPosterior(u).Mean, 10, item => !seen.Contains(item)), served.Items);
            Assert.DoesNotContain(served.Items, r => seen.Contains(r.Item));

            var withSeen = await queries.RecommendAsync("rated", user, 10, includeSeen: true, pool: null, CancellationToken.None);
            AssertRanking(Ranked(expected, expected.UserPosterior(u).Mean, 10, _ => true), withSeen.Items);

            var pool = Ratings.ItemIds.Where((_, i) => i % 5 == 0).Append("no-such-item").ToArray();
            var pooled = await queries.RecommendAsync("rated", user, 4, includeSeen: false, pool, CancellationToken.None);
            AssertRanking(Ranked(expected, expected.UserPosterior(u).Mean, 4, item => pool.Contains(item) && !seen.Contains(item)), pooled.Items);
        }
        var cold = await queries.ColdStartAsync("rated", 8, null, CancellationToken.None);
        AssertRanking(Ranked(expected, expected.UserPosterior(-1).Mean, 8, _ => true), cold.Items);
        await Assert.ThrowsAsync<UnknownUserException>(() => queries.RecommendAsync("rated", "stranger", 5, false, null, CancellationToken.None));

        // Fold-in: the posterior from a few ratings as the local model computes it, and the unrated items by its mean.
        var ratings = new[] { new ItemCount(Ratings.ItemIds[2], 1.5), new ItemCount(Ratings.ItemIds[30], -0.25), new ItemCount("no-such-item", 3), new ItemCount(Ratings.ItemIds[11], 0.75) };
        var folded = await queries.FoldInAsync("rated", "newcomer", ratings, 6, CancellationToken.None);
        var known = ratings.Where(r => expected.IndexOfItem(r.Item) >= 0).ToArray();
        var posterior = expected.FoldIn(known.Select(r => expected.IndexOfItem(r.Item)).ToArray(), known.Select(r => (float)r.Count).ToArray());
        Assert.True(folded.Ratings);
        Assert.Equal(["no-such-item"], folded.UnknownItems);
        Assert.Equal(posterior.Mean.Length, folded.Theta.Length);
        for (var j = 0; j < posterior.Mean.Length; j++) Assert.Equal(posterior.Mean[j], folded.Theta[j], 1e-5);
        var ratedIds = known.Select(r => r.Item).ToHashSet();
        AssertRanking(Ranked(expected, posterior.Mean, 6, item => !ratedIds.Contains(item)), folded.Items);

        // Evaluate: the local store's scores of a test set with users and items the job does not have.
        var test = GaussianClusterTests.Draw(users: 90, items: 70, seed: 12);
        var evaluation = await queries.EvaluateAsync("rated", test, 5, CancellationToken.None);
        var errors = GaussianEvaluation.Errors(expected, test);
        var heldOut = HeldOutSet.Map(test, Ratings);
        var (precision, recall, ndcg, users) = GaussianRanking.Evaluate(expected, Ratings, test, 5);
        Assert.NotNull(evaluation.Ratings);
        Assert.Equal(errors.Ratings, evaluation.Ratings.Ratings);
        Assert.Equal(errors.ColdStart, evaluation.Ratings.ColdStart);
        Assert.True(errors.ColdStart > 0 && errors.ColdStart < errors.Ratings, $"{errors.ColdStart} of {errors.Ratings} cold");
        Assert.Equal(errors.Rmse, evaluation.Ratings.Rmse, Tolerance);
        Assert.Equal(errors.Mae, evaluation.Ratings.Mae, Tolerance);
        Assert.Equal(errors.MeanLogDensity, evaluation.Ratings.MeanLogDensity, Tolerance);
        Assert.Equal(GaussianEvaluation.MeanLogDensity(expected, heldOut), evaluation.HeldOutLogLikelihood, Tolerance);
        Assert.Equal((heldOut.Count, heldOut.SkippedUnknownUser, heldOut.SkippedUnknownItem), ((int)evaluation.TestNonzeros, (int)evaluation.SkippedUnknownUser, (int)evaluation.SkippedUnknownItem));
        Assert.True(users > 0);
        Assert.Equal(users, evaluation.UsersEvaluated);
        Assert.Equal(precision, evaluation.PrecisionAtK, 1e-12);
        Assert.Equal(recall, evaluation.RecallAtK, 1e-12);
        Assert.Equal(ndcg, evaluation.NdcgAtK, 1e-12);

        // Not offered through the cluster, refused in words.
        var refused = await Assert.ThrowsAsync<ModelNotServableException>(() => queries.AddUserAsync("rated", "newcomer", [new ItemCount(Ratings.ItemIds[0], 4)], false, CancellationToken.None));
        Assert.Contains("Gaussian", refused.Message);
    }

    /// <summary>The local store's ranking (SavedGaussianJobServing): μ + the biases + the factors' dot product, ties to the lower index.</summary>
    private static (string Item, double Score)[] Ranked(GaussianModel model, double[] user, int count, Func<string, bool> keep)
    {
        var d = model.Factors + 1;
        var scored = new List<(string Item, double Score, int Index)>();
        for (var i = 0; i < model.Items.Rows; i++)
        {
            if (!keep(model.ItemIds[i])) continue;
            var y = model.Items.Mean.AsSpan(i * d, d);
            var s = model.Hyperparameters.Mu + user[d - 1] + y[d - 1];
            for (var f = 0; f < d - 1; f++) s += user[f] * y[f];
            scored.Add((model.ItemIds[i], s, i));
        }
        scored.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        return [.. scored.Take(count).Select(s => (s.Item, s.Score))];
    }

    private static void AssertRanking((string Item, double Score)[] expected, Recommendation[] served)
    {
        Assert.Equal(expected.Select(e => e.Item), served.Select(r => r.Item));
        for (var r = 0; r < expected.Length; r++) Assert.Equal(expected[r].Score, served[r].Score, Tolerance);
    }
}
