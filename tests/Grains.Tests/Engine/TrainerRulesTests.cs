using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine;

public class TrainerRulesTests
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 80, items: 60, factors: 3, seed: 8);

    [Fact]
    public void MaxIterRunsExactlyThatManyIterationsAndRecordsTheCurve()
    {
        var report = new InProcessTrainer(new TrainingOptions { Factors = 4, MaxIterations = 25, Stop = StopRule.MaxIter, CheckEvery = 10 })
            .Train(Sample.Data).Report;
        Assert.Equal(25, report.Iterations);
        Assert.Equal(new[] { 10, 20, 25 }, report.Curve.Select(p => p.Iteration));
        Assert.All(report.Curve, p => Assert.True(p.TrainLogLikelihood < 0));
        Assert.True(report.SecondsPerIteration > 0);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(8, 2)]
    public void TrainLlkStopsWhenTheRelativeGainFallsBelowTheThreshold(int factors, int members)
    {
        var report = new InProcessTrainer(new TrainingOptions { Factors = factors, Members = members, MaxIterations = 500, CheckEvery = 5, StopThreshold = 1e-3 })
            .Train(Sample.Data).Report;
        Assert.True(report.Iterations < 500, report.StopReason);
        var last = report.Curve[^1].TrainLogLikelihood;
        var before = report.Curve[^2].TrainLogLikelihood;
        Assert.True(1 - last / before <= 1e-3);
        Assert.Contains("relative gain", report.StopReason);
    }

    [Fact]
    public void ValLlkNeedsAValidationSet()
    {
        var trainer = new InProcessTrainer(new TrainingOptions { Stop = StopRule.ValLlk });
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(Sample.Data));
        Assert.Contains("validation", error.Message);
    }

    [Fact]
    public void ValLlkStopsOnTheValidationCurve()
    {
        var validation = HeldOutSet.Map(ModelSamples.Draw(users: 80, items: 60, factors: 3, seed: 8).Data, Sample.Data);
        var report = new InProcessTrainer(new TrainingOptions { Factors = 4, Stop = StopRule.ValLlk, MaxIterations = 300, CheckEvery = 5 })
            .Train(Sample.Data, validation).Report;
        Assert.All(report.Curve, p => Assert.NotNull(p.ValidationLogLikelihood));
        Assert.Contains("validation", report.StopReason);
    }

    [Fact]
    public void DiffNormStopsWhenThetaSettles()
    {
        var report = new InProcessTrainer(new TrainingOptions { Factors = 4, Stop = StopRule.DiffNorm, StopThreshold = 1e-2, MaxIterations = 2000, CheckEvery = 5 })
            .Train(Sample.Data).Report;
        Assert.True(report.Iterations < 2000);
        Assert.Contains("diffnorm", report.StopReason);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void StepKappaOutsideTheRobbinsMonroRangeIsRefused(double kappa)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessTrainer(new TrainingOptions { StepKappa = kappa }));
        Assert.Contains("--step-kappa", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void BatchFractionsOutsideZeroToOneAreRefusedByTheirOptionNames(double fraction)
    {
        var users = Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessTrainer(new TrainingOptions { UserBatchFraction = fraction }));
        Assert.StartsWith("option '--user-batch-fraction' must lie in (0, 1]", users.Message);
        var items = Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessTrainer(new TrainingOptions { ItemBatchFraction = fraction }));
        Assert.StartsWith("option '--item-batch-fraction' must lie in (0, 1]", items.Message);
    }

    [Fact]
    public void A_batch_fraction_is_the_share_of_the_rows_rounded_up_and_a_fixed_count_overrides_it()
    {
        var options = new TrainingOptions { UserBatchFraction = 0.1, ItemBatchFraction = 0.25 };
        Assert.Equal(95, options.UserBatchSize(943));
        Assert.Equal(421, options.ItemBatchSize(1682));
        Assert.Equal(1, options.UserBatchSize(3));
        Assert.Equal(100, (options with { UsersPerBatch = 100 }).UserBatchSize(943));
        Assert.Null(new TrainingOptions().UserBatchSize(943));
        Assert.False(new TrainingOptions().IsStochastic);
        Assert.True(new TrainingOptions { ItemBatchFraction = 1 }.IsStochastic);
        Assert.False(new TrainingOptions { ItemBatchFraction = 1 }.IsUserEpoch(1));
        Assert.True(options.IsUserEpoch(1));
        Assert.False(options.IsUserEpoch(2));
    }

    [Fact]
    public void Training_with_batch_fractions_is_training_with_the_counts_they_round_up_to()
    {
        var sample = ModelSamples.Draw(users: 120, items: 90, factors: 4, seed: 21);
        var basis = new TrainingOptions { Factors = 4, MaxIterations = 6, Stop = StopRule.MaxIter, Seed = 2, Threads = 2 };
        var byFraction = new InProcessTrainer(basis with { UserBatchFraction = 0.2, ItemBatchFraction = 0.3 }).Train(sample.Data).Model;
        var byCount = new InProcessTrainer(basis with
        {
            UsersPerBatch = (int)Math.Ceiling(0.2 * sample.Data.Users), ItemsPerBatch = (int)Math.Ceiling(0.3 * sample.Data.Items),
        }).Train(sample.Data).Model;
        ModelAssert.Identical(byFraction, byCount);
        Assert.NotEqual(new InProcessTrainer(basis).Train(sample.Data).Model.UserShape, byFraction.UserShape);
    }

    [Fact]
    public void NegativeTau0IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessTrainer(new TrainingOptions { StepTau0 = -1 }));
        Assert.Contains("--step-tau0", error.Message);
    }

    [Fact]
    public void CountsInTheHundredsOfThousandsTrainAndStopSensibly()
    {
        // hpfrec drops log y!, so its likelihood turns positive on play counts and its stop misfires; ours is a log-probability.
        var builder = new DatasetBuilder();
        var random = new Random(4);
        for (var u = 0; u < 60; u++)
            for (var i = 0; i < 40; i++)
                if (random.NextDouble() < 0.3) builder.Add($"u{u}", $"i{i}", random.Next(1, 400_000));
        var result = new InProcessTrainer(new TrainingOptions { Factors = 4, MaxIterations = 200 }).Train(builder.Build());
        Assert.All(result.Report.Curve, p => Assert.True(p.TrainLogLikelihood < 0));
        Assert.True(result.Report.Iterations >= 10);
    }

    [Fact]
    public void ANumericalFailureNamesTheIterationAndTheRowAndReturnsNoModel()
    {
        // Each count is a finite float, but with one factor alice's shape is their sum: beyond float32.
        var builder = new DatasetBuilder();
        builder.Add("alice", "song", 3e38);
        builder.Add("alice", "other", 3e38);
        builder.Add("alice", "third", 3e38);
        builder.Add("bob", "song", 2);
        var error = Assert.Throws<HpfNumericException>(() =>
            new InProcessTrainer(new TrainingOptions { Factors = 1, Members = 1 }).Train(builder.Build()));
        Assert.Equal(1, error.Iteration);
        Assert.Contains("iteration 1", error.Message);
        Assert.Equal("user", error.Side);
        Assert.Equal("alice", error.RowId);
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new Progress<TrainingProgress>(_ => cancel.Cancel());
        var trainer = new InProcessTrainer(new TrainingOptions { Factors = 4, MaxIterations = 100_000, Stop = StopRule.MaxIter });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(Sample.Data, progress: new SynchronousProgress(cancel), cancellationToken: cancel.Token));
        GC.KeepAlive(progress);
    }

    private sealed class SynchronousProgress(CancellationTokenSource cancel) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Iteration >= 3) cancel.Cancel();
        }
    }
}
