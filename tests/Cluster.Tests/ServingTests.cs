using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>Serving a trained model from the grains, against brute force over the exported factors and the engine's evaluator.</summary>
public sealed class ServingTests
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 300, Items = 400, Factors = 5, Seed = 51 });
    private static readonly DatasetSplit Split = DatasetSplit.ByFraction(Sample.Data, 0.2, seed: 6);
    private static readonly TrainingOptions Options = new() { Factors = 6, MaxIterations = 30, Stop = StopRule.MaxIter, Seed = 8, Threads = 1 };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 2, 3)]
    public async Task Top_N_through_the_cluster_is_the_brute_force_ranking_of_the_exported_factors(int silos, int userShards, int itemShards)
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(silos, storage);
        await Train(cluster.Client, "top", userShards, itemShards);
        var model = await ClusterJob.ReadModelAsync(cluster.Client, "top", Options);
        var queries = new JobModelQueries(cluster.GrainFactoryOf(cluster.Silos[0]));

        foreach (var u in new[] { 0, 17, 101, Split.Train.Users - 1 })
        {
            var user = Split.Train.UserIds[u];
            var seen = Split.Train.ByUser.OthersOf(u).ToArray().Select(i => Split.Train.ItemIds[i]).ToHashSet();
            var served = await queries.RecommendAsync("top", user, 10, includeSeen: false, pool: null, CancellationToken.None);
            Assert.Equal(BruteForce(model, user, 10, item => !seen.Contains(item)), served.Items.Select(r => r.Item));
            Assert.DoesNotContain(served.Items, r => seen.Contains(r.Item));
            Assert.False(served.FromCheckpoint);

            var withSeen = await queries.RecommendAsync("top", user, 10, includeSeen: true, pool: null, CancellationToken.None);
            Assert.Equal(BruteForce(model, user, 10, _ => true), withSeen.Items.Select(r => r.Item));

            var pool = Split.Train.ItemIds.Where((_, i) => i % 7 == 0).Append("no-such-item").ToArray();
            var pooled = await queries.RecommendAsync("top", user, 5, includeSeen: false, pool, CancellationToken.None);
            Assert.Equal(BruteForce(model, user, 5, item => pool.Contains(item) && !seen.Contains(item)), pooled.Items.Select(r => r.Item));
        }
    }

    [Fact]
    public async Task Predictions_fold_in_add_user_and_cold_start_agree_with_the_model()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        // Trained to its stop rule, so that a user's factors are a fixed point given the items.
        var converged = Options with { MaxIterations = 200, Stop = StopRule.TrainLlk, StopThreshold = 1e-5 };
        await ClusterJob.SubmitAsync(cluster.Client, "serve", new JobSpec { Training = converged, UserShards = 2, ItemShards = 2 }, Split.Train);
        Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(cluster.Client, "serve")).State);
        var model = await ClusterJob.ReadModelAsync(cluster.Client, "serve", converged);
        var queries = new JobModelQueries(cluster.GrainFactoryOf(cluster.Silos[1]));

        // Predict: E[θ_u]·E[β_i], one or many pairs.
        var pairs = new[] { (Split.Train.UserIds[3], Split.Train.ItemIds[5]), (Split.Train.UserIds[40], Split.Train.ItemIds[0]) };
        var predicted = await queries.PredictAsync("serve", pairs, CancellationToken.None);
        for (var p = 0; p < pairs.Length; p++)
            Assert.Equal(model.Predict(model.IndexOfUser(pairs[p].Item1), model.IndexOfItem(pairs[p].Item2)), predicted.Predictions[p].Score, 1e-5);

        // Fold-in of a trained user, with the items fixed, lands on (nearly) the trained factors.
        var u = 12;
        var user = Split.Train.UserIds[u];
        var counts = Split.Train.ByUser.OthersOf(u).ToArray().Select((i, n) => new ItemCount(Split.Train.ItemIds[i], Split.Train.ByUser.CountsOf(u)[n])).ToList();
        var folded = await queries.FoldInAsync("serve", user, [.. counts, new ItemCount("not-an-item", 2)], 5, CancellationToken.None);
        var trained = new float[Options.Factors];
        model.UserFactors(model.IndexOfUser(user), trained);
        Assert.True(Cosine(trained, folded.Theta) > 0.99, $"cosine {Cosine(trained, folded.Theta):F4}");
        Assert.Equal(["not-an-item"], folded.UnknownItems);
        Assert.DoesNotContain(folded.Items, r => counts.Any(c => c.Item == r.Item));

        // add-user: servable afterwards like a trained user, and no item parameter changes.
        var added = await queries.AddUserAsync("serve", "newcomer", counts, replaceExisting: false, CancellationToken.None);
        var recommended = await queries.RecommendAsync("serve", "newcomer", 5, includeSeen: false, pool: null, CancellationToken.None);
        Assert.Equal(5, recommended.Items.Length);
        Assert.DoesNotContain(recommended.Items, r => counts.Any(c => c.Item == r.Item));
        var newcomer = await queries.PredictAsync("serve", [("newcomer", Split.Train.ItemIds[0])], CancellationToken.None);
        var beta = new float[Options.Factors];
        model.ItemFactors(0, beta);
        Assert.Equal(added.Theta.Zip(beta, (a, b) => (double)a * b).Sum(), newcomer.Predictions[0].Score, 1e-5);
        var after = await ClusterJob.ReadModelAsync(cluster.Client, "serve", converged);
        Assert.Equal(model.ItemShape, after.ItemShape);
        Assert.Equal(model.ItemRate, after.ItemRate);
        Assert.Equal(model.ItemPopularityRate, after.ItemPopularityRate);
        var conflict = await Assert.ThrowsAnyAsync<Exception>(() => queries.AddUserAsync("serve", "newcomer", counts, replaceExisting: false, CancellationToken.None));
        Assert.Contains("already in the model", conflict.Message);
        await queries.AddUserAsync("serve", "newcomer", counts.Take(3).ToList(), replaceExisting: true, CancellationToken.None);

        // Cold start: the prior predictive ranks by Σ_k E[β_ik].
        var cold = await queries.ColdStartAsync("serve", 8, pool: null, CancellationToken.None);
        var byPopularity = Enumerable.Range(0, model.Items)
            .Select(i => (Id: model.ItemIds[i], Score: ExpectedBeta(model, i).Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(8).Select(x => x.Id);
        Assert.Equal(byPopularity, cold.Items.Select(r => r.Item));
    }

    [Fact]
    public async Task Evaluation_through_the_cluster_is_the_engines_evaluation()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(3, storage);
        await Train(cluster.Client, "evaluated", 3, 2);
        var model = await ClusterJob.ReadModelAsync(cluster.Client, "evaluated", Options);
        var test = ClusterJobData.WithStrangers(Split.Test);
        var engine = ModelEvaluator.Evaluate(model, Split.Train, test, k: 10, threads: 1);

        var served = await new JobModelQueries(cluster.Client).EvaluateAsync("evaluated", test, 10, CancellationToken.None);

        Assert.Equal(engine.HeldOutLogLikelihood, served.HeldOutLogLikelihood, 1e-9);
        Assert.Equal(engine.PrecisionAtK, served.PrecisionAtK, 1e-9);
        Assert.Equal(engine.RecallAtK, served.RecallAtK, 1e-9);
        Assert.Equal(engine.NdcgAtK, served.NdcgAtK, 1e-9);
        Assert.Equal(engine.UsersEvaluated, served.UsersEvaluated);
        Assert.Equal(engine.TestNonzeros, served.TestNonzeros);
        Assert.Equal(engine.SkippedUnknownUser, served.SkippedUnknownUser);
        Assert.Equal(engine.SkippedUnknownItem, served.SkippedUnknownItem);
    }

    [Fact]
    public async Task Each_job_without_a_servable_model_and_each_unknown_name_has_its_own_error()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(1, storage);
        var grains = cluster.Client;
        var queries = new JobModelQueries(grains);
        await Train(grains, "done", 1, 1);

        await Assert.ThrowsAsync<JobNotFoundException>(() => queries.RecommendAsync("nowhere", "u1", 5, false, null, CancellationToken.None));
        await Assert.ThrowsAsync<UnknownUserException>(() => queries.RecommendAsync("done", "nobody", 5, false, null, CancellationToken.None));
        await Assert.ThrowsAsync<UnknownItemException>(() => queries.PredictAsync("done", [(Split.Train.UserIds[0], "nothing")], CancellationToken.None));

        // Training with no checkpoint yet; cancelled.
        var uncheckpointed = new JobSpec { Training = Options with { MaxIterations = 100_000 }, UserShards = 1, ItemShards = 1, CheckpointEvery = 50_000 };
        await ClusterJob.SubmitAsync(grains, "early", uncheckpointed, Split.Train);
        await ClusterJob.WaitAsync(grains, "early", until: s => s.State != JobState.Loading);
        var early = await Assert.ThrowsAsync<ModelNotServableException>(() => queries.RecommendAsync("early", Split.Train.UserIds[0], 5, false, null, CancellationToken.None));
        Assert.Contains("first checkpoint", early.Message);
        await grains.GetGrain<ICoordinatorGrain>("early").Cancel(CancellationToken.None);
        var cancelled = await Assert.ThrowsAsync<ModelNotServableException>(() => queries.RecommendAsync("early", Split.Train.UserIds[0], 5, false, null, CancellationToken.None));
        Assert.Contains("cancelled", cancelled.Message);

        // Training, served from its last checkpoint and said so; what needs the finished model is refused.
        var checkpointed = uncheckpointed with { CheckpointEvery = 5 };
        await ClusterJob.SubmitAsync(grains, "training", checkpointed, Split.Train);
        await ClusterJob.WaitAsync(grains, "training", until: s => s.LastCheckpoint >= 5);
        var fromCheckpoint = await queries.RecommendAsync("training", Split.Train.UserIds[0], 5, false, null, CancellationToken.None);
        Assert.True(fromCheckpoint.FromCheckpoint);
        Assert.True(fromCheckpoint.ServedIteration >= 5);
        var foldWhileTraining = await Assert.ThrowsAsync<ModelNotServableException>(() => queries.FoldInAsync("training", null, [new ItemCount(Split.Train.ItemIds[0], 1)], 5, CancellationToken.None));
        Assert.Contains("still training", foldWhileTraining.Message);
        await grains.GetGrain<ICoordinatorGrain>("training").Cancel(CancellationToken.None);
    }

    private static async Task Train(IGrainFactory grains, string job, int userShards, int itemShards)
    {
        await ClusterJob.SubmitAsync(grains, job, new JobSpec { Training = Options, UserShards = userShards, ItemShards = itemShards }, Split.Train);
        Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(grains, job)).State);
    }

    private static IEnumerable<string> BruteForce(HpfModel model, string user, int count, Func<string, bool> eligible)
    {
        var theta = new float[model.Factors];
        model.UserFactors(model.IndexOfUser(user), theta);
        return Enumerable.Range(0, model.Items)
            .Where(i => eligible(model.ItemIds[i]))
            .Select(i => (Id: model.ItemIds[i], Score: TensorPrimitives.Dot(theta, ExpectedBeta(model, i))))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal)
            .Take(count).Select(x => x.Id).ToList();
    }

    private static float[] ExpectedBeta(HpfModel model, int item)
    {
        var beta = new float[model.Factors];
        model.ItemFactors(item, beta);
        return beta;
    }

    private static double Cosine(float[] a, float[] b) => TensorPrimitives.CosineSimilarity(a, b);
}
