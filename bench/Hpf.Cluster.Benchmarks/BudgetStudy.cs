using System.Diagnostics;
using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The budget model against plain HPF on the same counts, sampled from the budget model (docs/benchmarks.md, "The
/// budget model"): an 80/20 split, each model trained in process to its stop rule, scored by held-out conditional
/// log-likelihood and within-group NDCG@10 (<see cref="GroupEvaluator"/>) and all-item P@20 (<see cref="ModelEvaluator"/>),
/// with the true parameters scored alike for reference.
///
///   budget [--users 20000] [--items 40000] [--groups 2000] [--k 10] [--seed 1] [--threads 2] [--max-iter 300] [--data budget|hpf]
///
/// With <c>--data hpf</c> the counts are sampled from plain HPF (<see cref="SyntheticDataset"/>, items put in groups as
/// item n in group n mod G): what the budget model loses where its assumption does not hold.
/// </summary>
internal static class BudgetStudy
{
    public static int Run(string[] args)
    {
        var options = CommandLineWords.Parse(args, ["users", "items", "groups", "k", "seed", "threads", "max-iter", "data"], "budget");
        if (options.GetValueOrDefault("data") == "hpf") return RunOnHpfData(options);
        var k = CommandLineWords.Get(options, "k", 10);
        var threads = CommandLineWords.Get(options, "threads", 2);
        var sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions
        {
            Users = CommandLineWords.Get(options, "users", 20000),
            Items = CommandLineWords.Get(options, "items", 40000),
            Groups = CommandLineWords.Get(options, "groups", 2000),
            Factors = k,
            Seed = (ulong)CommandLineWords.Get(options, "seed", 1),
        });
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 1);
        var groups = sample.Groups.Dense(split.Train.ItemIds);
        Console.WriteLine($"# {split.Train.Users} users, {split.Train.Items} items in {groups.Groups} groups, {split.Train.Nonzeros} training and {split.Test.Nonzeros} test nonzeros; K = {k}, {threads} threads");
        Console.WriteLine("| model | held-out conditional llk | within-group NDCG@10 | within-group P@10 | all-item P@20 | iterations | s/iteration | CPU s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var baseline = new TrainingOptions { Factors = k, Threads = threads, MaxIterations = CommandLineWords.Get(options, "max-iter", 300) };
        // a = c = 1: the budget model's likelihood does not see the scale of a user's x or of a group's β, so the shapes
        // a and c set them (docs/maths.md); HPF is shown with both its defaults and the same shapes.
        var unitShapes = baseline.Priors with { A = 1, C = 1 };
        Report("budget, a = c = 1", baseline with { Model = ModelKind.Budget, Members = 1, Priors = unitShapes }, split, groups, sample.Groups);
        Report("budget, a = c = 0.3", baseline with { Model = ModelKind.Budget, Members = 1 }, split, groups, sample.Groups);
        Report("HPF, 2 members (defaults)", baseline, split, groups, sample.Groups);
        Report("HPF, 1 member", baseline with { Members = 1 }, split, groups, sample.Groups);
        Report("HPF, 2 members, a = c = 1", baseline with { Priors = unitShapes }, split, groups, sample.Groups);
        var truth = sample.ToTrueModel();
        var truthOnTrain = new HpfModel(truth.Options, truth.UserIds, truth.ItemIds, truth.UserShape, truth.UserRate, truth.UserActivityRate,
            truth.ItemShape, truth.ItemRate, truth.ItemPopularityRate) { Groups = truth.Groups };
        Score("truth (sampling parameters)", Restrict(truthOnTrain, split.Train), split, groups, 0, 0, 0);
        return 0;
    }

    private static int RunOnHpfData(Dictionary<string, string> options)
    {
        var k = CommandLineWords.Get(options, "k", 10);
        var threads = CommandLineWords.Get(options, "threads", 2);
        var groupCount = CommandLineWords.Get(options, "groups", 2000);
        var sample = SyntheticDataset.Generate(new SyntheticOptions
        {
            Users = CommandLineWords.Get(options, "users", 20000),
            Items = CommandLineWords.Get(options, "items", 40000),
            Factors = k,
            Seed = (ulong)CommandLineWords.Get(options, "seed", 1),
        });
        var groupOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var n = 0; n < sample.Options.Items; n++) groupOf[SyntheticDataset.ItemId(n)] = "g" + (n % groupCount).ToString(CultureInfo.InvariantCulture);
        var map = new ItemGroupMap(groupOf, "item n in group n mod G");
        var split = DatasetSplit.ByFraction(sample.Data, 0.2, seed: 1);
        var groups = map.Dense(split.Train.ItemIds);
        Console.WriteLine($"# sampled from HPF: {split.Train.Users} users, {split.Train.Items} items in {groups.Groups} groups, {split.Train.Nonzeros} training and {split.Test.Nonzeros} test nonzeros; K = {k}, {threads} threads");
        Console.WriteLine("| model | held-out conditional llk | within-group NDCG@10 | within-group P@10 | all-item P@20 | iterations | s/iteration | CPU s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var baseline = new TrainingOptions { Factors = k, Threads = threads, MaxIterations = CommandLineWords.Get(options, "max-iter", 300) };
        Report("budget, a = c = 1", baseline with { Model = ModelKind.Budget, Members = 1, Priors = baseline.Priors with { A = 1, C = 1 } }, split, groups, map);
        Report("HPF, 2 members (defaults)", baseline, split, groups, map);
        Report("HPF, 1 member", baseline with { Members = 1 }, split, groups, map);
        return 0;
    }

    private static void Report(string name, TrainingOptions options, DatasetSplit split, ItemGroups groups, ItemGroupMap map)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = new InProcessTrainer(options) { Groups = map }.Train(split.Train);
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Score(name, result.Model, split, groups, result.Report.Iterations, result.Report.SecondsPerIteration, cpuSeconds);
    }

    private static void Score(string name, HpfModel model, DatasetSplit split, ItemGroups groups, int iterations, double secondsPerIteration, double cpuSeconds)
    {
        var within = GroupEvaluator.Evaluate(model, split.Train, split.Test, groups, k: 10, threads: 2);
        var all = ModelEvaluator.Evaluate(model, split.Train, split.Test, k: 20, threads: 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {within.ConditionalLogLikelihood:F4} | {within.NdcgAtK:F4} | {within.PrecisionAtK:F4} | {all.PrecisionAtK:F4} | {iterations} | {secondsPerIteration:F3} | {cpuSeconds:F1} |"));
    }

    /// <summary>The true model over the training set's users and items (the sample's ids include items no one played).</summary>
    private static HpfModel Restrict(HpfModel truth, Dataset train)
    {
        var k = truth.Factors;
        float[] Rows(float[] values, string[] ids, Func<string, int> index)
        {
            var rows = new float[ids.Length * k];
            for (var r = 0; r < ids.Length; r++) values.AsSpan(index(ids[r]) * k, k).CopyTo(rows.AsSpan(r * k, k));
            return rows;
        }
        var ones = (int n) => Enumerable.Repeat(1f, n).ToArray();
        return new HpfModel(truth.Options, train.UserIds, train.ItemIds,
            Rows(truth.UserShape, train.UserIds, truth.IndexOfUser), ones(train.Users * k), ones(train.Users),
            Rows(truth.ItemShape, train.ItemIds, truth.IndexOfItem), ones(train.Items * k), ones(train.Items));
    }
}
