using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine.Budget;

/// <summary>Within-group measures against values worked by hand, and the truth ahead of a model that knows nothing.</summary>
public sealed class GroupEvaluatorTests
{
    [Fact]
    public void A_hand_worked_case_gives_the_hand_worked_values()
    {
        // One user, one factor; group g holds s1, s2, s3 with β = 1, 2, 3, and s4 alone in group h. The user played s1
        // and s4 in training and s2 twice in the test: the unseen items of g rank s3, then s2.
        var train = new Dataset(["u"], ["s1", "s2", "s3", "s4"], new SparseRows([0, 2], [0, 3], [1f, 5f]));
        var test = new Dataset(["u"], ["s2"], new SparseRows([0, 1], [0], [2f]));
        var options = new TrainingOptions { Factors = 1, Members = 1, Model = ModelKind.Budget };
        var model = new HpfModel(options, train.UserIds, train.ItemIds, [1f], [1f], [1f], [1f, 2f, 3f, 4f], [1f, 1f, 1f, 1f], [1f, 1f, 1f, 1f]);
        var groups = new ItemGroups(["g", "h"], [0, 0, 0, 1]);

        var top1 = GroupEvaluator.Evaluate(model, train, test, groups, k: 1, threads: 1);
        var top2 = GroupEvaluator.Evaluate(model, train, test, groups, k: 2, threads: 1);

        // log(2!/2!) + 2·log(2/6), per held-out nonzero (one).
        Assert.Equal(2 * Math.Log(2.0 / 6), top1.ConditionalLogLikelihood, 12);
        Assert.Equal((0.0, 0.0, 0.0, 1), (top1.PrecisionAtK, top1.RecallAtK, top1.NdcgAtK, top1.PairsEvaluated));
        Assert.Equal(0.5, top2.PrecisionAtK);
        Assert.Equal(1.0, top2.RecallAtK);
        Assert.Equal(1 / Math.Log2(3), top2.NdcgAtK, 12);
    }

    [Fact]
    public void The_truth_scores_above_a_model_that_is_uniform_within_groups()
    {
        var sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions { Users = 300, Items = 300, Groups = 30, Factors = 3, Seed = 8 });
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 1);
        var truth = sample.ToTrueModel();
        var groups = sample.Groups.Dense(sample.Data.ItemIds);
        var full = new Dataset(sample.Data.UserIds, sample.Data.ItemIds, Restrict(split.Train, sample.Data));
        var uniform = new HpfModel(truth.Options, truth.UserIds, truth.ItemIds, Ones(truth.UserShape.Length), Ones(truth.UserShape.Length), Ones(truth.Users),
            Ones(truth.ItemShape.Length), Ones(truth.ItemShape.Length), Ones(truth.Items));

        var good = GroupEvaluator.Evaluate(truth, full, split.Test, groups, k: 5, threads: 2);
        var flat = GroupEvaluator.Evaluate(uniform, full, split.Test, groups, k: 5, threads: 2);

        Assert.True(good.ConditionalLogLikelihood > flat.ConditionalLogLikelihood + 0.1, $"{good.ConditionalLogLikelihood} vs {flat.ConditionalLogLikelihood}");
        Assert.True(good.NdcgAtK > flat.NdcgAtK + 0.05, $"{good.NdcgAtK} vs {flat.NdcgAtK}");
        Assert.Equal(flat.PairsEvaluated, good.PairsEvaluated);
        Assert.Equal(split.Test.Nonzeros, good.TestNonzeros);
    }

    /// <summary>The training nonzeros indexed by all of the sample's users and items, so the truth's rows line up with them.</summary>
    private static SparseRows Restrict(Dataset train, Dataset all)
    {
        var rowStart = new int[all.Users + 1];
        var others = new List<int>();
        var counts = new List<float>();
        for (var u = 0; u < all.Users; u++)
        {
            var t = train.IndexOfUser(all.UserIds[u]);
            if (t >= 0)
            {
                var row = train.ByUser.OthersOf(t);
                var values = train.ByUser.CountsOf(t);
                for (var n = 0; n < row.Length; n++)
                {
                    others.Add(all.IndexOfItem(train.ItemIds[row[n]]));
                    counts.Add(values[n]);
                }
            }
            rowStart[u + 1] = others.Count;
        }
        return new SparseRows(rowStart, [.. others], [.. counts]);
    }

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
}
