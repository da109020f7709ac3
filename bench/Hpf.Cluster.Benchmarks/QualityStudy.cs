using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The study the training defaults were chosen from: full batch against SVI (users only, and users and items
/// alternating, batch sizes as fractions of the rows), with 1 to 4 members and K from 50 to 100, each trained to its stop rule in process
/// and scored on held-out data by the evaluator <c>hpf evaluate</c> uses, plus AUC. Data: MovieLens 100k's five
/// u1–u5 folds and five seeded 80/20 splits of u.data (as <c>hpf split --seed 1…5</c> cuts them), and five 80/20
/// splits of a play-count sample from the HPF model with heavy-tailed user activities and item popularities.
///
///   quality [--movielens DIR] [--configs "a;b;…"] [--data ml-folds,ml-splits,plays] [--k 75] [--threads 2]
///
/// A configuration is a grid row's name or the options it changes, as the console spells them without the dashes:
/// <c>k=100,members=4,stop-threshold=2e-3</c>.
/// </summary>
internal static class QualityStudy
{
    private const int Cutoff = 20;

    /// <summary>One training configuration of the grid: a name for the table and the options it changes from the defaults.</summary>
    private sealed record Configuration(string Name, Func<TrainingOptions, TrainingOptions> Apply);

    private sealed record Fold(string Group, string Name, Dataset Train, Dataset Test);

    private sealed record Score(double LogLikelihood, double Precision, double Recall, double Ndcg, double Auc, int Iterations, double Seconds, double CpuSeconds);

    private static readonly Configuration[] Grid =
    [
        new("defaults (full batch, K = 75 in 3 members)", o => o),
        new("before: K = 50 in 2 members, threshold 1e-3", o => o with { Factors = 50, Members = 2, StopThreshold = 1e-3 }),
        new("K = 50 in 2 members", o => o with { Factors = 50, Members = 2 }),
        new("K = 100 in 4 members", o => o with { Factors = 100, Members = 4 }),
        new("1 member (plain HPF)", o => o with { Members = 1 }),
        new("threshold 1e-3", o => o with { StopThreshold = 1e-3 }),
        new("SVI users 0.1", o => o with { UserBatchFraction = 0.1 }),
        new("alternating 0.05", o => o with { UserBatchFraction = 0.05, ItemBatchFraction = 0.05 }),
        new("alternating 0.1 (--svi)", o => o with { UserBatchFraction = 0.1, ItemBatchFraction = 0.1 }),
        new("alternating 0.2", o => o with { UserBatchFraction = 0.2, ItemBatchFraction = 0.2 }),
        new("alternating 0.1, 1 member", o => o with { UserBatchFraction = 0.1, ItemBatchFraction = 0.1, Members = 1 }),
    ];

    public static int Run(string[] args)
    {
        var options = CommandLineWords.Parse(args, ["movielens", "configs", "data", "k", "threads"], "quality");
        var defaults = new TrainingOptions();
        var k = CommandLineWords.Get(options, "k", defaults.Factors);
        var threads = CommandLineWords.Get(options, "threads", 2);
        var groups = options.TryGetValue("data", out var d) ? d.Split(',') : ["ml-folds", "ml-splits", "plays"];
        var configurations = options.TryGetValue("configs", out var c)
            ? c.Split(';').Select(n => Grid.FirstOrDefault(g => g.Name == n) ?? Parse(n)).ToArray()
            : Grid;
        var folds = Folds(groups, options.GetValueOrDefault("movielens")).ToList();
        // --k changes the base K only; a configuration's own k= or Factors wins.
        var baseOptions = k == defaults.Factors ? defaults with { Threads = threads } : defaults with { Factors = k, Threads = threads };

        Console.WriteLine($"# K = {k}, {threads} threads; base: {Describe(baseOptions)}");
        Console.WriteLine("| data | configuration | held-out llk | P@20 | R@20 | NDCG@20 | AUC | iterations | seconds | CPU seconds |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var group in folds.GroupBy(f => f.Group))
        {
            foreach (var configuration in configurations)
            {
                var training = configuration.Apply(baseOptions);
                training.Validate();
                var scores = new List<Score>();
                foreach (var fold in group)
                {
                    var score = Evaluate(training, fold, threads);
                    scores.Add(score);
                    Console.Error.WriteLine($"{fold.Name}\t{configuration.Name}\t{score.LogLikelihood:F4}\t{score.Precision:F4}\t{score.Ndcg:F4}\t{score.Auc:F4}\t{score.Iterations}\t{score.Seconds:F2}\t{score.CpuSeconds:F2}");
                }
                Console.WriteLine($"| {group.Key} | {configuration.Name} | {Summary(scores, s => s.LogLikelihood, "F3")} | {Summary(scores, s => s.Precision, "F4")} | " +
                    $"{Summary(scores, s => s.Recall, "F4")} | {Summary(scores, s => s.Ndcg, "F4")} | {Summary(scores, s => s.Auc, "F4")} | " +
                    $"{Summary(scores, s => s.Iterations, "F0")} | {Summary(scores, s => s.Seconds, "F2")} | {Summary(scores, s => s.CpuSeconds, "F2")} |");
            }
        }
        return 0;
    }

    private static Score Evaluate(TrainingOptions training, Fold fold, int threads)
    {
        // CPU time of the whole process over the fit: all threads' work, less sensitive than wall time to other jobs
        // sharing the cores (nothing else runs in this process while it trains).
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var result = new InProcessTrainer(training).Train(fold.Train);
        var cpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var report = ModelEvaluator.Evaluate(result.Model, fold.Train, fold.Test, Cutoff, threads);
        var auc = MeanUserAuc(result.Model, fold.Train, HeldOutSet.Map(fold.Test, fold.Train));
        return new Score(report.HeldOutLogLikelihood, report.PrecisionAtK, report.RecallAtK, report.NdcgAtK, auc, result.Report.Iterations, result.Report.TrainingSeconds, cpu);
    }

    /// <summary>A configuration written as <c>option=value,…</c> with the console's option names (no dashes).</summary>
    private static Configuration Parse(string text)
    {
        Func<TrainingOptions, TrainingOptions> apply = o => o;
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2)
                throw new ArgumentException($"--configs: '{pair}' is neither a grid row nor option=value; grid rows: {string.Join("; ", Grid.Select(g => g.Name))}");
            var (name, value) = (parts[0], parts[1]);
            var set = Setter(name, value);
            var before = apply;
            apply = o => set(before(o));
        }
        return new Configuration(text, apply);
    }

    private static Func<TrainingOptions, TrainingOptions> Setter(string name, string value)
    {
        int Int() => int.Parse(value, CultureInfo.InvariantCulture);
        double Double() => double.Parse(value, CultureInfo.InvariantCulture);
        double? Fraction() => value == "none" ? null : Double();
        return name switch
        {
            "k" => o => o with { Factors = Int() },
            "members" => o => o with { Members = Int() },
            "max-iter" => o => o with { MaxIterations = Int() },
            "check-every" => o => o with { CheckEvery = Int() },
            "stop-threshold" => o => o with { StopThreshold = Double() },
            "stop" => o => o with { Stop = value switch
            {
                "maxiter" => StopRule.MaxIter, "train-llk" => StopRule.TrainLlk, "val-llk" => StopRule.ValLlk, "diffnorm" => StopRule.DiffNorm,
                _ => throw new ArgumentException($"--configs: stop={value}; use maxiter, train-llk, val-llk or diffnorm"),
            } },
            "user-batch-fraction" => o => o with { UserBatchFraction = Fraction() },
            "item-batch-fraction" => o => o with { ItemBatchFraction = Fraction() },
            "step-tau0" => o => o with { StepTau0 = Double() },
            "step-kappa" => o => o with { StepKappa = Double() },
            "step-schedule" => o => o with { StepSchedule = value == "per-row" ? StepSchedule.PerRow : StepSchedule.Global },
            "seed" => o => o with { Seed = ulong.Parse(value, CultureInfo.InvariantCulture) },
            _ => throw new ArgumentException($"--configs: no option '{name}'; use k, members, max-iter, check-every, stop, stop-threshold, " +
                "user-batch-fraction, item-batch-fraction (none = not batched), step-tau0, step-kappa, step-schedule, seed"),
        };
    }

    private static IEnumerable<Fold> Folds(string[] groups, string? movieLensDirectory)
    {
        foreach (var group in groups)
        {
            switch (group)
            {
                case "ml-folds":
                    var dir = MovieLens(movieLensDirectory);
                    for (var n = 1; n <= 5; n++)
                        yield return new Fold(group, $"u{n}", TripletFileReader.Read(Path.Combine(dir, $"u{n}.base")), TripletFileReader.Read(Path.Combine(dir, $"u{n}.test")));
                    break;
                case "ml-splits":
                    var all = TripletFileReader.Read(Path.Combine(MovieLens(movieLensDirectory), "u.data"));
                    for (var seed = 1UL; seed <= 5; seed++)
                    {
                        var split = DatasetSplit.ByFraction(all, 0.2, seed);
                        yield return new Fold(group, $"u.data split {seed}", split.Train, split.Test);
                    }
                    break;
                case "plays":
                    var plays = PlayCounts();
                    for (var seed = 1UL; seed <= 5; seed++)
                    {
                        var split = DatasetSplit.ByFraction(plays, 0.2, seed);
                        yield return new Fold(group, $"plays split {seed}", split.Train, split.Test);
                    }
                    break;
                default:
                    throw new ArgumentException($"--data: no data set '{group}'; known: ml-folds, ml-splits, plays");
            }
        }
    }

    /// <summary>
    /// Play counts: 3,000 users × 2,000 items sampled from the HPF model with a' = c' = 1.5, so that 1/ξ (the scale of
    /// a user's counts) has infinite variance and a few users and items carry most of the plays; about 150k nonzeros
    /// whose counts run from 1 to the thousands.
    /// </summary>
    public static Dataset PlayCounts() => SyntheticDataset.Generate(new SyntheticOptions
    {
        Users = 3000, Items = 2000, Factors = 10, Seed = 27, APrime = 1.5, CPrime = 1.5, TargetNonzeros = 150_000,
    }).Data;

    private static string MovieLens(string? directory)
    {
        var dir = directory ?? Path.GetDirectoryName(BenchmarkData.FindMovieLens())
            ?? throw new ArgumentException("MovieLens 100k not found: give its directory with --movielens DIR");
        if (!File.Exists(Path.Combine(dir, "u.data"))) throw new ArgumentException($"--movielens {dir}: no u.data there");
        return dir;
    }

    /// <summary>
    /// Per user with a scored test item: the chance that one of its test items scores above one of the items it has
    /// in neither training nor test (ties count half); the mean over those users.
    /// </summary>
    private static double MeanUserAuc(HpfModel model, Dataset train, HeldOutSet test)
    {
        var theta = model.UserFactorMatrix();
        var beta = model.ItemFactorMatrix();
        var k = model.Factors;
        var items = train.Items;
        var testStart = new int[train.Users + 1];
        for (var n = 0; n < test.Count; n++) testStart[test.Users[n] + 1]++;
        for (var u = 0; u < train.Users; u++) testStart[u + 1] += testStart[u];
        var testItems = new int[test.Count];
        var fill = (int[])testStart.Clone();
        for (var n = 0; n < test.Count; n++) testItems[fill[test.Users[n]]++] = test.Items[n];

        var sum = 0.0;
        var users = 0;
        var scores = new double[items];
        var kind = new byte[items];   // 0 candidate negative, 1 seen in training, 2 held out
        var order = new int[items];
        for (var u = 0; u < train.Users; u++)
        {
            if (testStart[u + 1] == testStart[u]) continue;
            Array.Clear(kind);
            foreach (var i in train.ByUser.OthersOf(u)) kind[i] = 1;
            for (var n = testStart[u]; n < testStart[u + 1]; n++) kind[testItems[n]] = 2;
            var candidates = 0;
            for (var i = 0; i < items; i++)
            {
                if (kind[i] == 1) continue;
                double s = 0;
                for (var f = 0; f < k; f++) s += (double)theta[u * k + f] * beta[i * k + f];
                scores[candidates] = s;
                order[candidates++] = i;
            }
            Array.Sort(scores, order, 0, candidates);
            // Mann–Whitney: rank sum of the positives, ties given their mean rank.
            double rankSum = 0;
            long positives = 0;
            for (var start = 0; start < candidates;)
            {
                var end = start;
                while (end < candidates && scores[end] == scores[start]) end++;
                var meanRank = (start + 1 + end) / 2.0;
                for (var j = start; j < end; j++)
                {
                    if (kind[order[j]] != 2) continue;
                    rankSum += meanRank;
                    positives++;
                }
                start = end;
            }
            var negatives = candidates - positives;
            if (positives == 0 || negatives == 0) continue;
            sum += (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
            users++;
        }
        return users > 0 ? sum / users : double.NaN;
    }

    private static string Summary(List<Score> scores, Func<Score, double> value, string format)
    {
        var values = scores.Select(value).ToArray();
        var mean = values.Average();
        var sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}";
    }

    private static string Describe(TrainingOptions o) =>
        $"{(o.IsStochastic ? "SVI" : "full batch")}, {o.Members} members, stop {o.Stop} every {o.CheckEvery} at {o.StopThreshold:G3}, at most {o.MaxIterations} iterations";
}
