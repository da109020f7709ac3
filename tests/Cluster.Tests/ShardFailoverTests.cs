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

    /// <summary>
    /// <c>--svi</c>'s batches with the default train-llk rule, which under SVI stops at the second quiet check in a row:
    /// the coordinator that takes over replays the checks before its checkpoint, so it stops where an unbroken run does.
    /// </summary>
    private static readonly TrainingOptions SviOptions = new() { Factors = 5, UserBatchFraction = 0.1, ItemBatchFraction = 0.1, CheckEvery = 5, MaxIterations = 400, StopThreshold = 1e-4, Seed = 4, Threads = 1 };

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public async Task Killing_a_silo_mid_training_loses_at_most_a_checkpoint_interval_and_nothing_of_the_model(bool killTheCoordinatorsSilo, bool everyDefault, bool sviStopRule)
    {
        var (options, data) = everyDefault ? (new TrainingOptions(), Larger.Data) : sviStopRule ? (SviOptions, Sample.Data) : (Options, Sample.Data);
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
        if (sviStopRule)
        {
            // SVI on several shards sums each batch's float32 statistics per shard before adding the shards' parts, so
            // it matches the engine to the last float32 digits only (ClusterTrainingTests): the yardstick is the same
            // job on the same shards, run without a kill on the silos left.
            await ClusterJob.SubmitAsync(grains, "unbroken", new JobSpec { Training = options, UserShards = 3, ItemShards = 3, CheckpointEvery = 10 }, data);
            var unbroken = await ClusterJob.WaitAsync(grains, "unbroken", TimeSpan.FromMinutes(3));
            Assert.Equal(JobState.Completed, unbroken.State);
            Assert.Equal(0, ModelComparison.MaxRelativeDifference(await ClusterJob.ReadModelAsync(grains, "unbroken", options), model));
            CurveAssert.Same(unbroken.Curve, after.Curve);
            Assert.True(after.Iteration < options.MaxIterations, "the SVI stop rule ended the job");
            Assert.Equal(unbroken.Iteration, after.Iteration);
            return;
        }
        Assert.Equal(0, ModelComparison.MaxRelativeDifference(expected.Model, model));
        CurveAssert.Same(expected.Report.Curve, after.Curve);
    }
}
