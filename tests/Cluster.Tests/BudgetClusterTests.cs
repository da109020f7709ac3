using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// The budget model through the grains: the same model as in process on 1 and 3 silos, its bound climbing through the
/// shards, a resumed job and one that lost a silo ending with the uninterrupted model, and an item without a group
/// failing the job in plain words.
/// </summary>
public sealed class BudgetClusterTests : IDisposable
{
    private static readonly SyntheticBudgetDataset Sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions
    {
        Users = 300, Items = 240, Groups = 30, Factors = 3, Seed = 11,
    });
    private readonly ClusterStorage _storage = new();

    public void Dispose() => _storage.Dispose();

    private static TrainingOptions Options(int iterations) => new()
    {
        Factors = 4, Members = 1, Model = ModelKind.Budget, MaxIterations = iterations, CheckEvery = 5, Stop = StopRule.MaxIter, Seed = 3, Threads = 1,
    };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task The_grains_train_the_in_process_model_and_the_bound_never_falls(int silos, int userShards, int itemShards)
    {
        var options = Options(20);
        var expected = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(Sample.Data);
        await using var cluster = await TrainingCluster.StartAsync(silos, _storage);
        var spec = new JobSpec { Training = options, UserShards = userShards, ItemShards = itemShards, TraceElbo = true, CheckpointEvery = 0, Groups = Sample.Groups.ToTable() };
        await ClusterJob.SubmitAsync(cluster.Client, "budget", spec, Sample.Data);
        var status = await ClusterJob.WaitAsync(cluster.Client, "budget");

        Assert.Equal(JobState.Completed, status.State);
        var model = await ClusterJob.ReadModelAsync(cluster.Client, "budget", options);
        // The group tables are added up per shard, then over shards: float64 sums in another order, nothing more.
        var difference = ModelComparison.MaxRelativeDifference(expected.Model, model);
        Assert.True(difference < 1e-4, $"largest relative difference {difference:G3}");
        Assert.Equal(expected.Report.Curve.Select(p => p.Iteration), status.Curve.Select(p => p.Iteration));
        for (var c = 0; c < status.Curve.Length; c++)
            Assert.Equal(expected.Report.Curve[c].TrainLogLikelihood, status.Curve[c].TrainLogLikelihood, 1e-6 * Math.Abs(expected.Report.Curve[c].TrainLogLikelihood));

        var trace = status.ElboTrace;
        Assert.Equal(1 + 2 * options.MaxIterations, trace.Length);
        for (var s = 1; s < trace.Length; s++)
            Assert.True(trace[s] >= trace[s - 1] - 1e-6 * Math.Abs(trace[s - 1]), $"bound fell at half-step {s}: {trace[s - 1]:R} → {trace[s]:R}");
        var groups = Sample.Groups.Dense(Sample.Data.ItemIds);
        var engine = BudgetEvidenceLowerBound.Compute(new HpfModel(options, model.UserIds, model.ItemIds, model.UserShape, model.UserRate, model.UserActivityRate,
            model.ItemShape, model.ItemRate, model.ItemPopularityRate) { Groups = groups }, Sample.Data, groups);
        Assert.Equal(engine, trace[^1], 1e-7 * Math.Abs(engine));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 2, 3)]
    public async Task The_grains_rank_a_groups_items_and_the_groups_as_the_pulled_model_does(int silos, int userShards, int itemShards)
    {
        var options = Options(8);
        // An item the data lack, alone in its group: in the job's map, but no trained item belongs to its group.
        var map = Sample.Groups.ToTable();
        var table = new ItemGroupTable([.. map.Items, "ghost"], [.. map.Groups, "ghost-group"]);
        await using var cluster = await TrainingCluster.StartAsync(silos, _storage);
        var spec = new JobSpec { Training = options, UserShards = userShards, ItemShards = itemShards, CheckpointEvery = 0, Groups = table };
        await ClusterJob.SubmitAsync(cluster.Client, "ranked", spec, Sample.Data);
        Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(cluster.Client, "ranked")).State);
        // What hpf pull saves: the shards' model with the job's groups.
        var model = ItemGroupMap.WithGroups(await ClusterJob.ReadModelAsync(cluster.Client, "ranked", options), table);
        var groups = model.Groups!;
        var queries = new JobModelQueries(cluster.GrainFactoryOf(cluster.Silos[^1]));
        var data = Sample.Data;

        foreach (var u in new[] { 0, 57, data.Users - 1 })
        {
            var user = data.UserIds[u];
            var seen = data.ByUser.OthersOf(u).ToArray().Select(i => data.ItemIds[i]).ToHashSet();
            var x = new float[model.Factors];
            model.UserFactors(model.IndexOfUser(user), x);
            foreach (var group in new[] { "g3", "g17" })
            {
                var served = await queries.RecommendInGroupAsync("ranked", user, group, 5, includeSeen: false, pool: null, CancellationToken.None);
                Assert.Equal(Ranked(model, x, 5, i => GroupOf(groups, i) == group && !seen.Contains(model.ItemIds[i])), served.Items.Select(r => r.Item));
                var withSeen = await queries.RecommendInGroupAsync("ranked", user, group, 50, includeSeen: true, pool: null, CancellationToken.None);
                Assert.Equal(Ranked(model, x, 50, i => GroupOf(groups, i) == group), withSeen.Items.Select(r => r.Item));
            }
            var rankedGroups = await queries.RankGroupsAsync("ranked", user, 100, CancellationToken.None);
            AssertGroups(GroupScores(model, x), rankedGroups);
        }

        var ones = new float[model.Factors];
        Array.Fill(ones, 1f);
        var pool = data.ItemIds.Where((_, i) => i % 3 == 0).ToArray();
        var cold = await queries.RecommendInGroupAsync("ranked", null, "g5", 4, includeSeen: false, pool, CancellationToken.None);
        Assert.Equal(Ranked(model, ones, 4, i => GroupOf(groups, i) == "g5" && pool.Contains(model.ItemIds[i])), cold.Items.Select(r => r.Item));
        AssertGroups(GroupScores(model, ones).Take(7).ToArray(), await queries.RankGroupsAsync("ranked", null, 7, CancellationToken.None));

        await Assert.ThrowsAsync<UnknownGroupException>(() => queries.RecommendInGroupAsync("ranked", data.UserIds[0], "no-such-group", 5, false, null, CancellationToken.None));
        // In the job's map, but no trained item is in it: no such group, as the pulled model (whose groups are its items') says.
        await Assert.ThrowsAsync<UnknownGroupException>(() => queries.RecommendInGroupAsync("ranked", data.UserIds[0], "ghost-group", 5, false, null, CancellationToken.None));
        await Assert.ThrowsAsync<UnknownUserException>(() => queries.RankGroupsAsync("ranked", "nobody", 5, CancellationToken.None));
    }

    private static string GroupOf(ItemGroups groups, int item) => groups.GroupIds[groups.ItemGroup[item]];

    /// <summary>Brute force over the model: x·E[β_i] of the eligible items, best first, ties in ordinal id order.</summary>
    private static List<string> Ranked(HpfModel model, float[] x, int count, Func<int, bool> eligible)
    {
        var beta = model.ItemFactorMatrix();
        var k = model.Factors;
        return Enumerable.Range(0, model.Items).Where(eligible)
            .Select(i => (Id: model.ItemIds[i], Score: System.Numerics.Tensors.TensorPrimitives.Dot(x, beta.AsSpan(i * k, k))))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Take(count).Select(p => p.Id).ToList();
    }

    /// <summary>Every group of the model's items by x·Σ_{s∈a}E[β_s], best first, ties in ordinal id order.</summary>
    private static (string Group, double Score)[] GroupScores(HpfModel model, float[] x)
    {
        var groups = model.Groups!;
        var k = model.Factors;
        var sums = new double[groups.Groups * k];
        GroupTables.GroupSums(model.ItemFactorMatrix(), groups.ItemGroup, k, sums);
        return [.. Enumerable.Range(0, groups.Groups).Select(g => (groups.GroupIds[g], GroupTables.Dot(x, sums.AsSpan(g * k, k))))
            .OrderByDescending(p => p.Item2).ThenBy(p => p.Item1, StringComparer.Ordinal)];
    }

    private static void AssertGroups((string Group, double Score)[] expected, GroupRankingList served)
    {
        Assert.DoesNotContain(served.Groups, g => g.Group == "ghost-group");
        Assert.Equal(expected.Select(g => g.Group), served.Groups.Select(g => g.Group));
        for (var g = 0; g < expected.Length; g++)
            Assert.Equal(expected[g].Score, served.Groups[g].Score, 1e-9 * Math.Abs(expected[g].Score));
        Assert.False(served.FromCheckpoint);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task The_val_llk_rule_stops_a_budget_job_on_the_grains_where_it_stops_in_process(int silos, int userShards, int itemShards)
    {
        var split = Grains.Data.DatasetSplit.ByFraction(Sample.Data, 0.2, seed: 5);
        var options = Options(60) with { Stop = StopRule.ValLlk, CheckEvery = 2, StopThreshold = 1e-3 };
        var validation = Grains.Data.HeldOutSet.Map(split.Test, split.Train);
        var engine = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(split.Train, validation);
        await using var cluster = await TrainingCluster.StartAsync(silos, _storage);
        var spec = new JobSpec { Training = options, UserShards = userShards, ItemShards = itemShards, CheckpointEvery = 0, Groups = Sample.Groups.ToTable() };
        await ClusterJob.SubmitAsync(cluster.Client, "validated", spec, split.Train, split.Test);
        var status = await ClusterJob.WaitAsync(cluster.Client, "validated");

        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        Assert.Equal(validation.Count, status.Data!.ValidationNonzeros);
        Assert.Contains("validation log-likelihood", status.StopReason);
        // Stopped by the rule before the iteration cap, at the check the engine stops at, with the same curve.
        Assert.True(engine.Report.Iterations < options.MaxIterations, $"the engine ran to the cap ({engine.Report.Iterations})");
        Assert.Equal(engine.Report.Iterations, status.Iteration);
        Assert.Equal(engine.Report.Curve.Select(p => p.Iteration), status.Curve.Select(p => p.Iteration));
        for (var c = 0; c < status.Curve.Length; c++)
        {
            var expected = engine.Report.Curve[c].ValidationLogLikelihood!.Value;
            Assert.Equal(expected, status.Curve[c].ValidationLogLikelihood!.Value, 1e-6 * Math.Abs(expected));
        }
    }

    [Fact]
    public async Task A_budget_job_resumes_from_its_checkpoint_with_the_model_of_an_uninterrupted_run()
    {
        var options = Options(400) with { CheckEvery = 50 };
        var spec = new JobSpec { Training = options, UserShards = 2, ItemShards = 2, CheckpointEvery = 20, Groups = Sample.Groups.ToTable() };
        await using (var first = await TrainingCluster.StartAsync(1, _storage))
        {
            await ClusterJob.SubmitAsync(first.Client, "resumed", spec, Sample.Data);
            var before = await ClusterJob.WaitAsync(first.Client, "resumed", until: s => s.LastCheckpoint >= 20 || s.IsFinished);
            Assert.Equal(JobState.Training, before.State);
        }
        await using var second = await TrainingCluster.StartAsync(1, _storage, watchdog: true);
        var after = await ClusterJob.WaitAsync(second.Client, "resumed");

        Assert.Equal(JobState.Completed, after.State);
        var resumed = await ClusterJob.ReadModelAsync(second.Client, "resumed", options);
        var expected = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(Sample.Data).Model;
        var difference = ModelComparison.MaxRelativeDifference(expected, resumed);
        Assert.True(difference < 1e-3, $"largest relative difference {difference:G3}");
    }

    [Fact]
    public async Task Killing_a_shards_silo_rolls_a_budget_job_back_to_its_checkpoint_and_it_ends_with_the_model()
    {
        var options = Options(400) with { CheckEvery = 50 };
        await using var cluster = await TrainingCluster.StartAsync(3, _storage, watchdog: true);
        var grains = cluster.Client;
        var spec = new JobSpec { Training = options, UserShards = 3, ItemShards = 3, CheckpointEvery = 10, Groups = Sample.Groups.ToTable() };
        await ClusterJob.SubmitAsync(grains, "survivor", spec, Sample.Data);
        var before = await ClusterJob.WaitAsync(grains, "survivor", until: s => s.Iteration >= 10 || s.IsFinished);
        Assert.Equal(JobState.Training, before.State);

        var coordinatorsSilo = await cluster.SiloOfAsync(grains.GetGrain<ICoordinatorGrain>("survivor"));
        await cluster.KillSiloAsync(cluster.Silos.First(s => s != coordinatorsSilo));
        var after = await ClusterJob.WaitAsync(grains, "survivor", TimeSpan.FromMinutes(3));

        Assert.True(after.State == JobState.Completed, $"{after.State}: {after.Error}");
        Assert.True(after.Rollbacks >= 1, "the lost shards were noticed and the job rolled back");
        var expected = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(Sample.Data).Model;
        var difference = ModelComparison.MaxRelativeDifference(expected, await ClusterJob.ReadModelAsync(grains, "survivor", options));
        Assert.True(difference < 1e-3, $"largest relative difference {difference:G3}");
    }

    [Fact]
    public async Task An_item_without_a_group_fails_the_job_as_bad_data()
    {
        await using var cluster = await TrainingCluster.StartAsync(1, _storage);
        var table = Sample.Groups.ToTable();
        var missing = Array.IndexOf(table.Items, Sample.Data.ItemIds[0]);
        var spec = new JobSpec
        {
            Training = Options(5), UserShards = 1, ItemShards = 2, CheckpointEvery = 0,
            Groups = new ItemGroupTable([.. table.Items.Where((_, n) => n != missing)], [.. table.Groups.Where((_, n) => n != missing)]),
        };
        await ClusterJob.SubmitAsync(cluster.Client, "ungrouped", spec, Sample.Data);
        var status = await ClusterJob.WaitAsync(cluster.Client, "ungrouped");

        Assert.Equal(JobState.Failed, status.State);
        Assert.Equal(JobFailure.Data, status.Failure);
        Assert.Contains($"item '{Sample.Data.ItemIds[0]}' has no group", status.Error);
    }
}
