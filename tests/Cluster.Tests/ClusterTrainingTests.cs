using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>Training through the grains against the in-process trainer: same seed, same data, same model.</summary>
public sealed class ClusterTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 300, Items = 200, Factors = 6, Seed = 11 });

    private static TrainingOptions Options(int maxIterations = 12) => new()
    {
        Factors = 8,
        MaxIterations = maxIterations,
        CheckEvery = 4,
        Stop = StopRule.MaxIter,
        Seed = 5,
        Threads = 2,
    };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task A_job_on_one_silo_or_three_gives_the_in_process_model(int silos, int userShards, int itemShards) =>
        await AssertInProcessModelAsync(Options(), silos, userShards, itemShards);

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task A_job_with_every_default_option_gives_the_in_process_model(int silos, int userShards, int itemShards) =>
        await AssertInProcessModelAsync(new TrainingOptions(), silos, userShards, itemShards);

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task An_SVI_job_with_batch_fractions_gives_the_in_process_model(int silos, int userShards, int itemShards) =>
        // The engine cuts its batches as the shards do, so the grains take the same steps on the same rows.
        await AssertInProcessModelAsync(Options() with { UserBatchFraction = 0.1, ItemBatchFraction = 0.2 }, silos, userShards, itemShards);

    /// <summary>
    /// <c>hpf train --svi</c> with every other option at its default: alternating batches of a tenth, stopped by the SVI
    /// form of the train-llk rule (the second quiet check in a row), at the iteration the in-process trainer stops at.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task An_SVI_job_stopped_by_its_stop_rule_gives_the_in_process_model(int silos, int userShards, int itemShards)
    {
        var options = new TrainingOptions { Factors = 8, UserBatchFraction = 0.1, ItemBatchFraction = 0.1, CheckEvery = 4, MaxIterations = 200, Seed = 5, Threads = 2 };
        var report = new InProcessTrainer(options).Train(Sample.Data).Report;
        Assert.True(report.Iterations < options.MaxIterations, report.StopReason);
        Assert.Contains("checks in a row", report.StopReason);
        await AssertInProcessModelAsync(options, silos, userShards, itemShards);
    }

    private async Task AssertInProcessModelAsync(TrainingOptions options, int silos, int userShards, int itemShards)
    {
        var expected = new InProcessTrainer(options).Train(Sample.Data);

        using var storage = new ClusterStorage();

        await using var cluster = await TrainingCluster.StartAsync(silos, storage);
        var grains = cluster.Client;
        var spec = new JobSpec { Training = options, UserShards = userShards, ItemShards = itemShards, CheckpointEvery = 5 };
        await ClusterJob.SubmitAsync(grains, "same", spec, Sample.Data);
        var status = await ClusterJob.WaitAsync(grains, "same");

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(expected.Report.Iterations, status.Iteration);
        Assert.Equal(Sample.Data.Users, status.Data!.Users);
        Assert.Equal(Sample.Data.Items, status.Data.Items);
        Assert.Equal(Sample.Data.Nonzeros, status.Data.Nonzeros);
        var model = await ClusterJob.ReadModelAsync(grains, "same", options);
        var difference = ModelComparison.MaxRelativeDifference(expected.Model, model);
        output.WriteLine($"{silos} silos, {userShards}×{itemShards} shards, {expected.Report.Iterations} iterations: largest relative difference {difference:G3}, {status.BytesMoved} bytes moved");
        Assert.True(difference < 1e-4, $"largest relative difference {difference:G3}");
        // The likelihood curve is the engine's too, check for check. SVI on several shards sums each batch's float32
        // statistics per shard before adding the shards' parts, so its parameters, and the curve, differ in the last
        // float32 digits (measured: 7e-6 relative in the model).
        CurveAssert.Same(expected.Report.Curve, status.Curve, options.IsStochastic && userShards > 1 ? 1e-5 : 1e-9);
        Assert.True(status.BytesMoved > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rows_cut_into_many_small_messages_give_the_same_model(bool stochastic)
    {
        // 256 bytes: 8 rows of K = 8 a message, so every push and fetch between shards goes in parts, as a block of more
        // than 30 MiB does; the ELBO trace fetches parameters, the checks E[x], SVI its batches' rows. SVI's float32
        // statistics are summed per shard, so its bit-for-bit reference is the same layout with rows in one message each.
        var options = Options(maxIterations: 8) with { UsersPerBatch = stochastic ? 60 : null };
        var spec = new JobSpec { Training = options, UserShards = 2, ItemShards = 2, CheckpointEvery = 0, TraceElbo = !stochastic };
        var (model, curve) = await TrainAsync(spec, maxRowBlockBytes: 256);
        var (expected, expectedCurve) = stochastic
            ? await TrainAsync(spec, maxRowBlockBytes: null)
            : new InProcessTrainer(options).Train(Sample.Data) is var run ? (run.Model, run.Report.Curve) : default;

        var difference = ModelComparison.MaxRelativeDifference(expected, model);
        Assert.True(difference < 1e-4, $"largest relative difference {difference:G3}");
        CurveAssert.Same(expectedCurve, curve);
    }

    private static async Task<(HpfModel Model, LikelihoodPoint[] Curve)> TrainAsync(JobSpec spec, int? maxRowBlockBytes)
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage, maxRowBlockBytes: maxRowBlockBytes);
        await ClusterJob.SubmitAsync(cluster.Client, "parts", spec, Sample.Data);
        var status = await ClusterJob.WaitAsync(cluster.Client, "parts");
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        return (await ClusterJob.ReadModelAsync(cluster.Client, "parts", spec.Training), status.Curve);
    }
}
