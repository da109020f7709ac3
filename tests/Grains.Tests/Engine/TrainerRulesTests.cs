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

    /// <summary>The defaults the quality study chose (docs/benchmarks.md, "The training defaults").</summary>
    [Fact]
    public void The_defaults_are_full_batch_K_75_in_3_members_stopping_at_a_relative_gain_of_2e_3()
    {
        var defaults = new TrainingOptions();
        Assert.Equal(75, defaults.Factors);
        Assert.Equal(3, defaults.Members);
        Assert.False(defaults.IsStochastic);
        Assert.Equal(StopRule.TrainLlk, defaults.Stop);
        Assert.Equal(10, defaults.CheckEvery);
        Assert.Equal(2e-3, defaults.StopThreshold);
        Assert.Equal(100, defaults.MaxIterations);
        defaults.Validate();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(10, 2)]
    [InlineData(50, 2)]
    [InlineData(62, 2)]
    [InlineData(63, 3)]
    [InlineData(75, 3)]
    [InlineData(100, 4)]
    [InlineData(200, 8)]
    public void An_unset_member_count_is_one_per_25_factors_and_at_least_2(int factors, int members)
    {
        var options = new TrainingOptions { Factors = factors };
        Assert.Equal(members, options.Members);
        // A copy with another K follows that K; a count that was given stays.
        Assert.Equal(members, (new TrainingOptions() with { Factors = factors }).Members);
        Assert.Equal(2, (new TrainingOptions { Factors = factors, Members = 2 } with { Factors = 100 }).Members);
        options.Validate();
    }

    /// <summary>
    /// Full batch stops at the first check whose gain is at most the threshold (a fall included); SVI's noisy
    /// log-likelihood is measured against the best so far and stops only at the second quiet check in a row.
    /// </summary>
    [Fact]
    public void Under_SVI_the_stop_rule_waits_for_two_quiet_checks_in_a_row_against_the_best_so_far()
    {
        double[] curve = [-1000, -900, -901, -850, -849.9, -849.95, -849.9];
        Assert.Equal(2, FirstStop(new StopCriterion(StopRule.TrainLlk, 1e-3), curve, out _));
        // SVI: -901 is a fall (quiet 1), -850 a real gain (reset), -849.9 quiet 1, -849.95 quiet 2 (a fall from the best).
        Assert.Equal(5, FirstStop(new StopCriterion(StopRule.TrainLlk, 1e-3, stochastic: true), curve, out var reason));
        Assert.Contains("2 checks in a row", reason);
        // A gain on the best, however noisy the checks between, keeps it going.
        double[] climbing = [-1000, -990, -995, -980, -985, -970];
        Assert.Equal(-1, FirstStop(new StopCriterion(StopRule.TrainLlk, 1e-3, stochastic: true), climbing, out _));

        static int FirstStop(StopCriterion criterion, double[] values, out string reason)
        {
            reason = "";
            for (var j = 0; j < values.Length; j++)
                if (criterion.ShouldStop(values[j], out reason)) return j;
            return -1;
        }
    }

    [Fact]
    public void SVI_training_stops_by_the_SVI_form_of_the_rule()
    {
        var report = new InProcessTrainer(new TrainingOptions
        {
            Factors = 4, UserBatchFraction = 0.25, ItemBatchFraction = 0.25, MaxIterations = 300, CheckEvery = 5, StopThreshold = 1e-3, Seed = 3, Threads = 1,
        }).Train(Sample.Data).Report;
        Assert.True(report.Iterations < 300, report.StopReason);
        Assert.Contains("checks in a row", report.StopReason);
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
