using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Engine.Budget;

/// <summary>The budget model in process: the bound climbs, the truth is recovered, the model keeps its kind and groups on disk.</summary>
public sealed class BudgetTrainingTests
{
    private static readonly SyntheticBudgetDataset Sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions
    {
        Users = 600, Items = 600, Groups = 60, Factors = 3, Seed = 5, GroupsPerUser = 8, PlaysPerGroup = 12,
    });

    [Theory]
    [InlineData(1, 0.3, 0.3)]
    [InlineData(7, 0.3, 3.0)]
    [InlineData(13, 1.0, 0.5)]
    public void The_bound_never_decreases_between_half_steps(int seed, double a, double aPrime)
    {
        var sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions { Users = 60, Items = 45, Groups = 9, Factors = 3, Seed = (ulong)seed });
        var options = new TrainingOptions
        {
            Factors = 5, Members = 1, Seed = (ulong)seed, Threads = 2, Model = ModelKind.Budget,
            Priors = new HpfPriors(A: a, APrime: aPrime, C: a, CPrime: aPrime),
        };
        var groups = sample.Groups.Dense(sample.Data.ItemIds);
        var state = new ModelState(sample.Data, options, SimdWidth.Auto) { Groups = groups };
        var schedule = new BudgetSchedule(state, groups, threads: 2);
        var previous = BudgetEvidenceLowerBound.Compute(state.ToModel(), sample.Data, groups);
        for (var iteration = 1; iteration <= 30; iteration++)
        {
            schedule.RunUserHalfStep(iteration, CancellationToken.None);
            previous = AssertNotBelow(previous, BudgetEvidenceLowerBound.Compute(state.ToModel(), sample.Data, groups), iteration, "user");
            schedule.RunItemHalfStep(iteration, CancellationToken.None);
            previous = AssertNotBelow(previous, BudgetEvidenceLowerBound.Compute(state.ToModel(), sample.Data, groups), iteration, "item");
        }
    }

    [Fact]
    public void Training_recovers_the_within_group_preferences_of_the_truth()
    {
        var split = DatasetSplit.ByFraction(Sample.Data, 0.2, seed: 2);
        var options = new TrainingOptions { Factors = 3, Members = 1, Model = ModelKind.Budget, Seed = 1, Threads = 2, MaxIterations = 150, Stop = StopRule.MaxIter };
        var model = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(split.Train).Model;
        var test = HeldOutSet.Map(split.Test, split.Train);
        var groups = model.Groups!;

        var fitted = Mean(BudgetLikelihood.HeldOut(test, groups.ItemGroup, groups.Groups, model.UserFactorMatrix(), model.ItemFactorMatrix(), 3));
        var truthModel = Sample.ToTrueModel();
        var truth = Mean(BudgetLikelihood.HeldOut(HeldOutSet.Map(split.Test, Sample.Data), truthModel.Groups!.ItemGroup, truthModel.Groups.Groups,
            truthModel.UserFactorMatrix(), truthModel.ItemFactorMatrix(), 3));
        var uniformFactors = new float[model.Users];
        Array.Fill(uniformFactors, 1f);
        var uniformItems = new float[model.Items];
        Array.Fill(uniformItems, 1f);
        var uniform = Mean(BudgetLikelihood.HeldOut(test, groups.ItemGroup, groups.Groups, uniformFactors, uniformItems, 1));

        // The fit closes most of the gap between knowing nothing within a group (uniform) and knowing the truth.
        Assert.True(fitted > uniform + 0.6 * (truth - uniform), $"held-out conditional llk: fitted {fitted:F4}, truth {truth:F4}, uniform {uniform:F4}");
    }

    [Fact]
    public void A_saved_budget_model_reads_back_with_its_kind_and_groups()
    {
        var options = new TrainingOptions { Factors = 3, Members = 1, Model = ModelKind.Budget, MaxIterations = 3, Stop = StopRule.MaxIter };
        var model = new InProcessTrainer(options) { Groups = Sample.Groups }.Train(Sample.Data).Model;
        using var stream = new MemoryStream();
        ModelStoreFormat.WriteModel(stream, model, Guid.NewGuid());
        stream.Position = 0;
        var read = ModelStoreFormat.ReadModel(stream, out _);

        Assert.Equal(ModelKind.Budget, read.Options.Model);
        Assert.Equal(model.Groups!.GroupIds, read.Groups!.GroupIds);
        Assert.Equal(model.Groups.ItemGroup, read.Groups.ItemGroup);
        Assert.Equal(model.ItemShape, read.ItemShape);
    }

    [Fact]
    public void The_budget_model_refuses_ensembles_SVI_and_a_missing_map()
    {
        var budget = new TrainingOptions { Factors = 3, Members = 1, Model = ModelKind.Budget };
        Assert.Contains("--members", Assert.Throws<ArgumentOutOfRangeException>(() => (budget with { Members = 2 }).Validate()).Message);
        Assert.Contains("full batch", Assert.Throws<ArgumentOutOfRangeException>(() => (budget with { UsersPerBatch = 10 }).Validate()).Message);
        Assert.Contains("--groups", Assert.Throws<ArgumentException>(() => new InProcessTrainer(budget).Train(Sample.Data)).Message);
        var partial = new ItemGroupMap(new Dictionary<string, string> { ["i0"] = "g0" }, "few.tsv");
        Assert.Contains("have no group in few.tsv", Assert.Throws<ArgumentException>(() => new InProcessTrainer(budget) { Groups = partial }.Train(Sample.Data)).Message);
    }

    private static double Mean((double Sum, long Count) heldOut) => heldOut.Sum / heldOut.Count;

    private static double AssertNotBelow(double before, double after, int iteration, string side)
    {
        // Parameters are stored in float32: allow a decrease of float32 rounding of the terms, no more.
        var slack = 1e-6 * Math.Abs(before);
        Assert.True(after >= before - slack, $"bound fell from {before:R} to {after:R} in the {side} half-step of iteration {iteration}");
        return after;
    }
}
