using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>The Gaussian model trained through the grains against the in-process trainer: same seed, same ratings, same model.</summary>
public sealed class GaussianClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Dataset Ratings = Draw(users: 120, items: 90, seed: 7);

    private static TrainingOptions Options(int iterations = 10) => new()
    {
        Model = ModelKind.Gaussian, Factors = 3, Members = 1, MaxIterations = iterations, CheckEvery = 3, Stop = StopRule.MaxIter, Seed = 5, Threads = 2,
    };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 3, 2)]
    public async Task A_Gaussian_job_on_one_silo_or_three_gives_the_in_process_model(int silos, int userShards, int itemShards)
    {
        var options = Options();
        var expected = new GaussianTrainer(options).Train(Ratings);
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(silos, storage);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "ratings", new JobSpec { Training = options, UserShards = userShards, ItemShards = itemShards, CheckpointEvery = 4 }, Ratings);
        var status = await ClusterJob.WaitAsync(grains, "ratings");

        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        Assert.Equal(Ratings.Nonzeros, status.Data!.Nonzeros);
        var model = await GaussianModelPull.ReadAsync(grains, "ratings", options);
        var difference = MaxRelativeDifference(expected.Model, model);
        output.WriteLine($"{silos} silos, {userShards}×{itemShards} shards: largest relative difference {difference:G3}, {status.BytesMoved} bytes moved");
        // The shards add a row's terms in their gathered order and the sides' sums shard by shard: float64 rounding only.
        Assert.True(difference < 1e-8, $"largest relative difference {difference:G3}");
        Assert.Equal(expected.Report.Curve.Select(p => p.Iteration), status.Curve.Select(p => p.Iteration));
        for (var c = 0; c < status.Curve.Length; c++)
            Assert.Equal(expected.Report.Curve[c].TrainLogLikelihood, status.Curve[c].TrainLogLikelihood, 1e-9 * Math.Abs(expected.Report.Curve[c].TrainLogLikelihood));
        Assert.True(status.BytesMoved > 0);
    }

    [Fact]
    public async Task The_bound_traced_through_the_grains_never_decreases()
    {
        var options = Options(iterations: 8);
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(1, storage);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "traced", new JobSpec { Training = options, UserShards = 2, ItemShards = 2, CheckpointEvery = 0, TraceElbo = true }, Ratings);
        var status = await ClusterJob.WaitAsync(grains, "traced");
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        Assert.Equal(2 * options.MaxIterations, status.ElboTrace.Length);
        for (var t = 1; t < status.ElboTrace.Length; t++)
            Assert.True(status.ElboTrace[t] >= status.ElboTrace[t - 1] - 1e-9 * Math.Abs(status.ElboTrace[t - 1]), $"the bound fell at half-step {t}");
    }

    [Fact]
    public async Task Killing_a_silo_mid_training_rolls_the_Gaussian_job_back_and_it_ends_with_the_model_of_a_run_that_lost_nothing()
    {
        var options = Options(iterations: 300) with { Threads = 1 };
        var data = Draw(users: 300, items: 200, seed: 9);
        using var store = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(3, store, watchdog: true);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "survivor", new JobSpec { Training = options, UserShards = 3, ItemShards = 3, CheckpointEvery = 10 }, data);
        var before = await ClusterJob.WaitAsync(grains, "survivor", until: s => s.Iteration >= 10 || s.IsFinished);
        Assert.Equal(JobState.Training, before.State);
        var coordinatorsSilo = await cluster.SiloOfAsync(grains.GetGrain<ICoordinatorGrain>("survivor"));
        await cluster.KillSiloAsync(cluster.Silos.First(s => s != coordinatorsSilo));

        var after = await ClusterJob.WaitAsync(grains, "survivor", TimeSpan.FromMinutes(3));
        Assert.True(after.State == JobState.Completed, $"{after.State}: {after.Error}");
        Assert.True(after.Rollbacks >= 1, "the lost shards were noticed and the job rolled back");
        var expected = new GaussianTrainer(options).Train(data);
        var model = await GaussianModelPull.ReadAsync(grains, "survivor", options);
        Assert.True(MaxRelativeDifference(expected.Model, model) < 1e-8);
    }

    /// <summary>Ratings from the model, centred near 0.5 so that zero and negative ratings are among them.</summary>
    internal static Dataset Draw(int users, int items, ulong seed)
    {
        var random = new Xoshiro256StarStar(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(random.NextDoubleNonZero())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var x = new double[users * 2];
        var y = new double[items * 2];
        for (var j = 0; j < x.Length; j++) x[j] = Normal();
        for (var j = 0; j < y.Length; j++) y[j] = 0.7 * Normal();
        var builder = new DatasetBuilder(ratings: true);
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() >= 0.25) continue;
                var r = 0.5 + x[2 * u] * y[2 * i] + x[2 * u + 1] * y[2 * i + 1] + 0.5 * Normal();
                builder.Add($"u{u}", $"i{i}", Math.Round(r, 2));
            }
        }
        return builder.Build();
    }

    private static double MaxRelativeDifference(GaussianModel a, GaussianModel b)
    {
        Assert.Equal(a.UserIds, b.UserIds);
        Assert.Equal(a.ItemIds, b.ItemIds);
        double worst = 0;
        void Compare(double[] x, double[] y)
        {
            Assert.Equal(x.Length, y.Length);
            for (var j = 0; j < x.Length; j++) worst = Math.Max(worst, Math.Abs(x[j] - y[j]) / Math.Max(1e-3, Math.Abs(x[j])));
        }
        Compare(a.Users.Mean, b.Users.Mean);
        Compare(a.Users.Covariance, b.Users.Covariance);
        Compare(a.Items.Mean, b.Items.Mean);
        Compare(a.Items.Covariance, b.Items.Covariance);
        Compare([a.Hyperparameters.Mu, a.Hyperparameters.NoiseVariance, .. a.Hyperparameters.Users.Covariance, .. a.Hyperparameters.Items.Mean],
            [b.Hyperparameters.Mu, b.Hyperparameters.NoiseVariance, .. b.Hyperparameters.Users.Covariance, .. b.Hyperparameters.Items.Mean]);
        return worst;
    }
}
