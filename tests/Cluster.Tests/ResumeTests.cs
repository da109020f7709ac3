using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// A job survives its silo being stopped and started again: grain state and checkpoints in files, as the local
/// profile keeps them under the data directory. The resumed job goes on from its last complete checkpoint and ends with the
/// model an uninterrupted run gives.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 1000, Items = 500, Factors = 4, Seed = 31 });
    private readonly ClusterStorage _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_job_resumes_from_its_checkpoint_after_the_silo_is_stopped_and_started_again()
    {
        var options = new TrainingOptions { Factors = 5, MaxIterations = 1500, CheckEvery = 50, Stop = StopRule.MaxIter, Seed = 9, Threads = 1 };
        var spec = new JobSpec { Training = options, UserShards = 2, ItemShards = 2, CheckpointEvery = 100 };
        JobStatus before;
        await using (var first = await TrainingCluster.StartAsync(1, _store))
        {
            await ClusterJob.SubmitAsync(first.Client, "resumed", spec, Sample.Data);
            before = await ClusterJob.WaitAsync(first.Client, "resumed", until: s => s.LastCheckpoint >= 100 || s.IsFinished);
            Assert.Equal(JobState.Training, before.State);
        }

        // A new silo over the same state: the watchdog finds the training job and its coordinator resumes it.
        await using var second = await TrainingCluster.StartAsync(1, _store, watchdog: true);
        var after = await ClusterJob.WaitAsync(second.Client, "resumed");

        Assert.Equal(JobState.Completed, after.State);
        Assert.Equal(options.MaxIterations, after.Iteration);
        Assert.True(after.Curve.Length == options.MaxIterations / options.CheckEvery, $"{after.Curve.Length} checks");
        var expected = new InProcessTrainer(options).Train(Sample.Data);
        var model = await ClusterJob.ReadModelAsync(second.Client, "resumed", options);
        Assert.Equal(0, ModelComparison.MaxRelativeDifference(expected.Model, model));
        CurveAssert.Same(expected.Report.Curve, after.Curve);
    }

    [Fact]
    public async Task A_completed_model_is_served_again_after_a_restart()
    {
        var options = new TrainingOptions { Factors = 4, MaxIterations = 8, Stop = StopRule.MaxIter, Seed = 2, Threads = 1 };
        HpfModel trained;
        await using (var first = await TrainingCluster.StartAsync(2, _store))
        {
            await ClusterJob.SubmitAsync(first.Client, "kept", new JobSpec { Training = options, UserShards = 2, ItemShards = 1 }, Sample.Data);
            Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(first.Client, "kept")).State);
            trained = await ClusterJob.ReadModelAsync(first.Client, "kept", options);
        }

        await using var second = await TrainingCluster.StartAsync(1, _store);
        var status = await second.Client.GetGrain<ICoordinatorGrain>("kept").GetStatus(CancellationToken.None);
        Assert.Equal(JobState.Completed, status!.State);
        Assert.Equal(0, ModelComparison.MaxRelativeDifference(trained, await ClusterJob.ReadModelAsync(second.Client, "kept", options)));

        // A user added to the restarted cluster is written to the file store and served by the next one.
        var counts = new[] { new ItemCount(Sample.Data.ItemIds[0], 3), new ItemCount(Sample.Data.ItemIds[1], 1) };
        var added = await new JobModelQueries(second.Client).AddUserAsync("kept", "late-comer", counts, replaceExisting: false, CancellationToken.None);
        await second.DisposeAsync();
        await using var third = await TrainingCluster.StartAsync(1, _store);
        var predicted = await new JobModelQueries(third.Client).PredictAsync("kept", [("late-comer", Sample.Data.ItemIds[2])], CancellationToken.None);
        var beta = new float[options.Factors];
        trained.ItemFactors(trained.IndexOfItem(Sample.Data.ItemIds[2]), beta);
        Assert.Equal(added.Theta.Zip(beta, (a, b) => (double)a * b).Sum(), predicted.Predictions[0].Score, 1e-5);
    }
}
