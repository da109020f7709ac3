using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Evaluation;

public class ModelEvaluatorTests
{
    private static Dataset Build(params (string User, string Item, double Count)[] triplets)
    {
        var builder = new DatasetBuilder();
        foreach (var (user, item, count) in triplets) builder.Add(user, item, count);
        return builder.Build();
    }

    /// <summary>A model whose expectations are the given factors (shape = value, rate = 1); ids must be in ordinal order.</summary>
    private static HpfModel ModelOf(string[] userIds, float[] theta, string[] itemIds, float[] beta, int factors)
    {
        var options = new TrainingOptions { Factors = factors, Members = 1 };
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        return new HpfModel(options, userIds, itemIds, theta, Ones(theta.Length), Ones(userIds.Length), beta, Ones(beta.Length), Ones(itemIds.Length));
    }

    // One factor: every user ranks items w (4) > x (3) > y (2) > z (1) before removing what they saw.
    private static readonly Dataset TinyTrain = Build(("A", "w", 1), ("B", "x", 1), ("C", "w", 2), ("C", "x", 1), ("D", "y", 1), ("D", "z", 5));
    private static readonly HpfModel TinyModel = ModelOf(["A", "B", "C", "D"], [1f, 2f, 0.5f, 1f], ["w", "x", "y", "z"], [4f, 3f, 2f, 1f], 1);
    private static readonly Dataset TinyTest = Build(
        ("A", "x", 2), ("A", "z", 1), ("B", "y", 1), ("C", "z", 3),
        ("E", "w", 1),      // user unknown to training
        ("A", "q", 4));     // item unknown to training

    [Fact]
    public void RankingMetricsOnAHandWorkedExample()
    {
        var report = ModelEvaluator.Evaluate(TinyModel, TinyTrain, TinyTest, k: 2);
        // A (saw w): top 2 = x, y; relevant {x, z}: a hit at rank 1.  P = 1/2, R = 1/min(2, 2), DCG = 1, IDCG = 1 + 1/log2 3.
        // B (saw x): top 2 = w, y; relevant {y}: a hit at rank 2.     P = 1/2, R = 1/min(2, 1), DCG = IDCG·1/log2 3, IDCG = 1.
        // C (saw w, x): top 2 = y, z; relevant {z}: a hit at rank 2.  As B.
        // D has no test items and is not evaluated.
        var third = 1 / Math.Log2(3);
        Assert.Equal(3, report.UsersEvaluated);
        Assert.Equal(2, report.K);
        Assert.Equal(0.5, report.PrecisionAtK, 12);
        Assert.Equal((0.5 + 1 + 1) / 3, report.RecallAtK, 12);
        Assert.Equal((1 / (1 + third) + third + third) / 3, report.NdcgAtK, 12);
    }

    [Fact]
    public void HeldOutLikelihoodOnAHandWorkedExample()
    {
        var report = ModelEvaluator.Evaluate(TinyModel, TinyTrain, TinyTest, k: 2);
        // μ: A·x = 1·3, A·z = 1·1, B·y = 2·2, C·z = 0.5·1; mean of y log μ − μ − log y!.
        var expected = ((2 * Math.Log(3) - 3 - Math.Log(2)) + (0 - 1 - 0) + (Math.Log(4) - 4) + (3 * Math.Log(0.5) - 0.5 - Math.Log(6))) / 4;
        Assert.Equal(expected, report.HeldOutLogLikelihood, 12);
        Assert.Equal(4, report.TestNonzeros);
    }

    [Fact]
    public void TestRowsOfUnknownUsersAndItemsAreCountedAndSkipped()
    {
        var report = ModelEvaluator.Evaluate(TinyModel, TinyTrain, TinyTest, k: 2);
        Assert.Equal(1, report.SkippedUnknownUser);
        Assert.Equal(1, report.SkippedUnknownItem);
        Assert.Equal(4, report.TestNonzeros);

        var nothingKnown = ModelEvaluator.Evaluate(TinyModel, TinyTrain, Build(("E", "w", 1), ("F", "x", 2), ("A", "q", 1)), k: 2);
        Assert.Equal(0, nothingKnown.TestNonzeros);
        Assert.Equal(0, nothingKnown.UsersEvaluated);
        Assert.Equal(2, nothingKnown.SkippedUnknownUser);
        Assert.Equal(1, nothingKnown.SkippedUnknownItem);
        Assert.True(double.IsNaN(nothingKnown.HeldOutLogLikelihood));
        Assert.True(double.IsNaN(nothingKnown.PrecisionAtK));
    }

    [Fact]
    public void SeenItemsAreNeverRanked()
    {
        // C saw w, x and x is also in C's test set: it cannot be recommended, so only y and z are ranked, z is no hit.
        var report = ModelEvaluator.Evaluate(TinyModel, TinyTrain, Build(("C", "x", 1)), k: 3);
        Assert.Equal(1, report.UsersEvaluated);
        Assert.Equal(0, report.PrecisionAtK);
        Assert.Equal(0, report.NdcgAtK);

        // D saw y and z: w and x are its only candidates. With k = 4, two hits out of two test items.
        report = ModelEvaluator.Evaluate(TinyModel, TinyTrain, Build(("D", "w", 1), ("D", "x", 1)), k: 4);
        Assert.Equal(2.0 / 4, report.PrecisionAtK, 12);
        Assert.Equal(1, report.RecallAtK, 12);
        Assert.Equal(1, report.NdcgAtK, 12);
    }

    [Fact]
    public void TiesGoToTheLowerItemIndex()
    {
        var train = Build(("A", "a", 1), ("B", "b", 1), ("B", "c", 1), ("B", "d", 1));
        var model = ModelOf(["A", "B"], [1f, 1f], ["a", "b", "c", "d"], [1f, 2f, 2f, 2f], 1);
        // A's candidates b, c, d all score 2: top 1 is b.
        Assert.Equal(1, ModelEvaluator.Evaluate(model, train, Build(("A", "b", 1)), k: 1).PrecisionAtK);
        Assert.Equal(0, ModelEvaluator.Evaluate(model, train, Build(("A", "d", 1)), k: 1).PrecisionAtK);
        Assert.Equal(1, ModelEvaluator.Evaluate(model, train, Build(("A", "c", 1)), k: 2).RecallAtK);
    }

    [Fact]
    public void AModelThatDoesNotKnowATrainingUserIsRefused()
    {
        var model = ModelOf(["A", "B"], [1f, 1f], ["w", "x", "y", "z"], [4f, 3f, 2f, 1f], 1);
        var error = Assert.Throws<ArgumentException>(() => ModelEvaluator.Evaluate(model, TinyTrain, TinyTest));
        Assert.Contains("'C'", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelEvaluator.Evaluate(TinyModel, TinyTrain, TinyTest, k: 0));
    }

    [Fact]
    public void MatchesANaiveEvaluationAcrossSeveralTiles()
    {
        // K = 64 makes a tile of E[β] 1024 items wide: 2500 items span three tiles.
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 300, Items = 2500, Factors = 64, Seed = 12, TargetNonzeros = 30_000 });
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 2);
        var model = sample.ToTrueModel();
        const int k = 10;
        var report = ModelEvaluator.Evaluate(model, split.Train, split.Test, k, threads: 2);
        var naive = NaiveEvaluation(model, split.Train, split.Test, k);
        Assert.Equal(naive.TestNonzeros, report.TestNonzeros);
        Assert.Equal(naive.UsersEvaluated, report.UsersEvaluated);
        Assert.Equal(naive.SkippedUnknownUser, report.SkippedUnknownUser);
        Assert.Equal(naive.SkippedUnknownItem, report.SkippedUnknownItem);
        Assert.Equal(naive.HeldOutLogLikelihood, report.HeldOutLogLikelihood, 1e-9);
        Assert.Equal(naive.PrecisionAtK, report.PrecisionAtK, 1e-12);
        Assert.Equal(naive.RecallAtK, report.RecallAtK, 1e-12);
        Assert.Equal(naive.NdcgAtK, report.NdcgAtK, 1e-12);
        Assert.True(report.PrecisionAtK > 0, "the true model should find some held-out items");
    }

    [Fact]
    public void TheReportDoesNotDependOnTheThreadCount()
    {
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 500, Items = 400, Factors = 5, Seed = 3 });
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 4);
        var model = sample.ToTrueModel();
        var one = ModelEvaluator.Evaluate(model, split.Train, split.Test, 20, threads: 1);
        Assert.Equal(one, ModelEvaluator.Evaluate(model, split.Train, split.Test, 20, threads: 2));
        Assert.Equal(one, ModelEvaluator.Evaluate(model, split.Train, split.Test, 20, threads: 7));
    }

    [Fact]
    public void TheTruthScoresBetterThanAFlatModel()
    {
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 400, Items = 300, Factors = 4, Seed = 21, TargetNonzeros = 12_000 });
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 5);
        var truth = ModelEvaluator.Evaluate(sample.ToTrueModel(), split.Train, split.Test, 10);

        // Flat: every pair gets the average mean, so the likelihood knows the total but nothing else, and ranking is by index.
        var train = split.Train;
        var mean = (float)(train.TotalCount / ((double)train.Users * train.Items));
        var flat = ModelOf(train.UserIds, Enumerable.Repeat(1f, train.Users).ToArray(), train.ItemIds, Enumerable.Repeat(mean, train.Items).ToArray(), 1);
        var baseline = ModelEvaluator.Evaluate(flat, train, split.Test, 10);
        Assert.True(truth.HeldOutLogLikelihood > baseline.HeldOutLogLikelihood, $"truth {truth.HeldOutLogLikelihood} vs flat {baseline.HeldOutLogLikelihood}");
        Assert.True(truth.NdcgAtK > 2 * baseline.NdcgAtK, $"truth NDCG {truth.NdcgAtK} vs flat {baseline.NdcgAtK}");
    }

    /// <summary>The definitions, written out plainly: float64 scores, a full sort, LINQ welcome.</summary>
    private static EvaluationReport NaiveEvaluation(HpfModel model, Dataset train, Dataset test, int k)
    {
        double llk = 0;
        int rows = 0, unknownUser = 0, unknownItem = 0;
        var relevant = new Dictionary<string, HashSet<string>>();
        for (var u = 0; u < test.Users; u++)
        {
            var user = test.UserIds[u];
            var items = test.ByUser.OthersOf(u);
            var counts = test.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++)
            {
                var item = test.ItemIds[items[n]];
                if (train.IndexOfUser(user) < 0) { unknownUser++; continue; }
                if (train.IndexOfItem(item) < 0) { unknownItem++; continue; }
                var mu = model.Predict(model.IndexOfUser(user), model.IndexOfItem(item));
                llk += counts[n] * Math.Log(mu) - mu - LogFactorial.Of(counts[n]);
                rows++;
                if (!relevant.TryGetValue(user, out var set)) relevant[user] = set = new HashSet<string>();
                set.Add(item);
            }
        }
        double precision = 0, recall = 0, ndcg = 0;
        foreach (var (user, set) in relevant)
        {
            var u = model.IndexOfUser(user);
            var t = train.IndexOfUser(user);
            var seen = train.ByUser.OthersOf(t).ToArray().Select(i => train.ItemIds[i]).ToHashSet();
            var ranked = Enumerable.Range(0, model.Items)
                .Where(i => !seen.Contains(model.ItemIds[i]))
                .Select(i => (Item: i, Score: model.Predict(u, i)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Item)
                .Take(k).Select(x => model.ItemIds[x.Item]).ToList();
            var hits = ranked.Count(set.Contains);
            var dcg = ranked.Select((item, r) => set.Contains(item) ? 1 / Math.Log2(r + 2) : 0).Sum();
            var ideal = Enumerable.Range(0, Math.Min(k, set.Count)).Sum(r => 1 / Math.Log2(r + 2));
            precision += (double)hits / k;
            recall += (double)hits / Math.Min(k, set.Count);
            ndcg += dcg / ideal;
        }
        var users = relevant.Count;
        return new EvaluationReport(llk / rows, precision / users, recall / users, ndcg / users, k, users, rows, unknownUser, unknownItem);
    }
}
