using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// The budget model through the grains: the same model as in process on 1 and 3 silos, its bound climbing through the
/// shards, a resumed job ending with the uninterrupted model, and an item without a group failing the job in plain words.
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
