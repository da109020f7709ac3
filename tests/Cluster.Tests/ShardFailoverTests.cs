using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// A silo killed in the middle of training (Orleans' in-process test cluster, whose other silos declare it dead): its shards come back on the survivors from the store, every shard rolls back to the last
/// complete checkpoint, and the job ends with the model of a run that lost nothing.
/// </summary>
public sealed class ShardFailoverTests
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 400, Items = 300, Factors = 4, Seed = 41 });

    /// <summary>For the job with every default option: large enough that its stop rule does not end it before the kill.</summary>
    private static readonly SyntheticDataset Larger = SyntheticDataset.Generate(new SyntheticOptions { Users = 3000, Items = 2000, Factors = 10, Seed = 43, TargetNonzeros = 300_000 });

    private static readonly TrainingOptions Options = new() { Factors = 5, MaxIterations = 400, CheckEvery = 25, Stop = StopRule.MaxIter, Seed = 4, Threads = 1 };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Killing_a_silo_mid_training_loses_at_most_a_checkpoint_interval_and_nothing_of_the_model(bool killTheCoordinatorsSilo, bool everyDefault)
    {
        var (options, data) = everyDefault ? (new TrainingOptions(), Larger.Data) : (Options, Sample.Data);
        using var store = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(3, store, watchdog: true);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "survivor", new JobSpec { Training = options, UserShards = 3, ItemShards = 3, CheckpointEvery = 10 }, data);
        var before = await ClusterJob.WaitAsync(grains, "survivor", until: s => s.Iteration >= 10 || s.IsFinished);
        Assert.Equal(JobState.Training, before.State);

        var coordinatorsSilo = await cluster.SiloOfAsync(grains.GetGrain<ICoordinatorGrain>("survivor"));
        Assert.NotNull(coordinatorsSilo);
        var victim = killTheCoordinatorsSilo ? coordinatorsSilo : cluster.Silos.First(s => s != coordinatorsSilo);
        var sinceBefore = System.Diagnostics.Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);

        var after = await ClusterJob.WaitAsync(grains, "survivor", TimeSpan.FromMinutes(3));
        var waited = sinceBefore.Elapsed.TotalSeconds;
        Assert.True(after.State == JobState.Completed, $"{after.State}: {after.Error}");
        Assert.True(after.Rollbacks >= 1 || killTheCoordinatorsSilo, "the lost shards were noticed and the job rolled back");
        if (after.Rollbacks > 0) Assert.StartsWith("back to the checkpoint of iteration", after.LastRollback);
        // The training time the user is told includes the rollback's stall (a coordinator taken over from storage
        // starts again from its checkpoint's time, so only a surviving coordinator can count it). The slack covers
        // the progress lagging by up to one iteration and the poll.
        if (!killTheCoordinatorsSilo)
            Assert.True(after.ElapsedSeconds - before.ElapsedSeconds >= waited - 0.5,
                $"training time grew {after.ElapsedSeconds - before.ElapsedSeconds:F2} s while the test waited {waited:F2} s");
        var expected = new InProcessTrainer(options).Train(data);
        var model = await ClusterJob.ReadModelAsync(grains, "survivor", options);
        Assert.Equal(0, ModelComparison.MaxRelativeDifference(expected.Model, model));
        CurveAssert.Same(expected.Report.Curve, after.Curve);
    }
}
