using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>What must stay true of training through the grains: the ELBO climbs, SVI converges like the engine's, the stop rules and validation behave.</summary>
public sealed class ClusterTrainingPropertyTests
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 400, Items = 250, Factors = 5, Seed = 23 });
    private static readonly DatasetSplit Split = DatasetSplit.ByFraction(Sample.Data, 0.2, seed: 4);
    private static readonly DatasetSplit Larger = DatasetSplit.ByFraction(
        SyntheticDataset.Generate(new SyntheticOptions { Users = 800, Items = 500, Factors = 5, Seed = 17 }).Data, 0.2, seed: 3);

    [Fact]
    public async Task The_ELBO_never_decreases_between_half_steps_through_the_grains()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(3, storage);
        var options = new TrainingOptions { Factors = 6, MaxIterations = 15, Stop = StopRule.MaxIter, Seed = 3, Threads = 1 };
        var spec = new JobSpec { Training = options, UserShards = 3, ItemShards = 2, TraceElbo = true, CheckpointEvery = 0 };
        await ClusterJob.SubmitAsync(cluster.Client, "elbo", spec, Split.Train);
        var status = await ClusterJob.WaitAsync(cluster.Client, "elbo");

        Assert.Equal(JobState.Completed, status.State);
        var trace = status.ElboTrace;
        Assert.Equal(1 + 2 * options.MaxIterations, trace.Length);
        for (var s = 1; s < trace.Length; s++)
            Assert.True(trace[s] >= trace[s - 1] - 1e-9 * Math.Abs(trace[s - 1]), $"ELBO fell at half-step {s}: {trace[s - 1]:R} → {trace[s]:R}");
        // The trace is the engine's ELBO of the model the shards hold.
        var model = await ClusterJob.ReadModelAsync(cluster.Client, "elbo", options);
        var engine = EvidenceLowerBound.Compute(model, Split.Train);
        Assert.Equal(engine, trace[^1], 1e-9 * Math.Abs(engine));
    }

    [Theory]
    [InlineData(60, null)]
    [InlineData(null, 40)]
    [InlineData(60, 40)]
    public async Task SVI_through_the_grains_reaches_the_stated_margin_of_full_batch(int? usersPerBatch, int? itemsPerBatch)
    {
        var options = new TrainingOptions { Factors = 5, Seed = 1, Threads = 1, UsersPerBatch = usersPerBatch, ItemsPerBatch = itemsPerBatch };
        var test = HeldOutSet.Map(Larger.Test, Larger.Train);
        var full = HeldOut(new InProcessTrainer(options with { UsersPerBatch = null, ItemsPerBatch = null }).Train(Larger.Train).Model, test);

        using var storage = new ClusterStorage();

        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        await ClusterJob.SubmitAsync(cluster.Client, "svi", new JobSpec { Training = options, UserShards = 2, ItemShards = 2 }, Larger.Train);
        var status = await ClusterJob.WaitAsync(cluster.Client, "svi");
        Assert.Equal(JobState.Completed, status.State);
        var svi = HeldOut(await ClusterJob.ReadModelAsync(cluster.Client, "svi", options), test);

        // The README's stated margin for SVI, as the engine's own SVI is held to on data of this size.
        Assert.True(svi > full - 0.1, $"SVI through the grains {svi:F4} vs full batch {full:F4}");
    }

    [Theory]
    [InlineData(10_000, null)]
    [InlineData(null, 10_000)]
    [InlineData(10_000, 10_000)]
    public async Task SVI_with_one_batch_an_epoch_is_the_engines_SVI_step_for_step(int? usersPerBatch, int? itemsPerBatch)
    {
        // With every row in the one batch, the grains and the engine take the same steps on the same rows: only the
        // order of float sums differs (each of the 2 × 3 shards sums its part of the batch's statistics), so the models
        // agree closely. Mini-batches are checked in ClusterTrainingTests.
        var options = new TrainingOptions { Factors = 5, Seed = 3, Threads = 1, UsersPerBatch = usersPerBatch, ItemsPerBatch = itemsPerBatch, MaxIterations = 30, Stop = StopRule.MaxIter };
        var engine = new InProcessTrainer(options).Train(Split.Train).Model;

        using var storage = new ClusterStorage();

        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        await ClusterJob.SubmitAsync(cluster.Client, "one-batch", new JobSpec { Training = options, UserShards = 2, ItemShards = 3 }, Split.Train);
        Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(cluster.Client, "one-batch")).State);
        var grains = await ClusterJob.ReadModelAsync(cluster.Client, "one-batch", options);

        var difference = ModelComparison.MaxRelativeDifference(engine, grains);
        Assert.True(difference < 5e-3, $"largest relative difference {difference:G3}");
    }

    [Fact]
    public async Task Validation_drives_the_val_llk_rule_and_unknown_rows_are_counted()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        var options = new TrainingOptions { Factors = 5, Stop = StopRule.ValLlk, CheckEvery = 2, MaxIterations = 40, Seed = 2, Threads = 1 };
        var spec = new JobSpec { Training = options, UserShards = 2, ItemShards = 2 };
        var validation = ModelOf([.. Triplets(Split.Test), ("stranger", "i0", 3), ("u0", "unheard-of", 2)]);
        await ClusterJob.SubmitAsync(cluster.Client, "val", spec, Split.Train, validation);
        var status = await ClusterJob.WaitAsync(cluster.Client, "val");

        Assert.Equal(JobState.Completed, status.State);
        var expected = HeldOutSet.Map(validation, Split.Train);
        Assert.Equal(expected.Count, status.Data!.ValidationNonzeros);
        Assert.Equal(expected.SkippedUnknownUser, status.Data.ValidationSkippedUnknownUser);
        Assert.Equal(expected.SkippedUnknownItem, status.Data.ValidationSkippedUnknownItem);
        Assert.All(status.Curve, p => Assert.NotNull(p.ValidationLogLikelihood));
        Assert.Contains("validation log-likelihood", status.StopReason);
        // The engine with the same validation set stops at the same check with the same value.
        var engine = new InProcessTrainer(options).Train(Split.Train, expected);
        Assert.Equal(engine.Report.Iterations, status.Iteration);
        Assert.Equal(engine.Report.Curve[^1].ValidationLogLikelihood!.Value, status.Curve[^1].ValidationLogLikelihood!.Value, 1e-6);
    }

    private static double HeldOut(HpfModel model, HeldOutSet test) =>
        PoissonLikelihood.HeldOutMean(test, model.UserFactorMatrix(), model.ItemFactorMatrix(), model.Factors, members: 1);

    private static IEnumerable<(string, string, double)> Triplets(Dataset data)
    {
        for (var u = 0; u < data.Users; u++)
        {
            var others = data.ByUser.OthersOf(u).ToArray();
            var counts = data.ByUser.CountsOf(u).ToArray();
            for (var n = 0; n < others.Length; n++) yield return (data.UserIds[u], data.ItemIds[others[n]], counts[n]);
        }
    }

    private static Dataset ModelOf(IEnumerable<(string User, string Item, double Count)> triplets)
    {
        var builder = new DatasetBuilder();
        foreach (var (u, i, y) in triplets) builder.Add(u, i, y);
        return builder.Build();
    }
}
