using System.Diagnostics;
using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// How the Gaussian model's population prior serves users it has not trained on (docs/benchmarks.md, "Ratings"): some
/// users are held out whole, the model is trained on everyone else, and each held-out user is folded in from 0 (the
/// prior alone), 1, 5 and 20 of their ratings and scored on the others (the same ones for every count).
///
///   cold-start --ratings FILE [--users 200] [--min-ratings 40] [--k 10] [--max-iter 400] [--seed 1] [--threads 1]
/// </summary>
internal static class ColdStartStudy
{
    private static readonly int[] Given = [0, 1, 5, 20];

    public static int Run(string[] args)
    {
        var words = CommandLineWords.Parse(args, ["ratings", "users", "min-ratings", "k", "max-iter", "seed", "threads"], "cold-start");
        var file = words.GetValueOrDefault("ratings") ?? throw new ArgumentException("give the ratings file with --ratings FILE (MovieLens u.data as it is)");
        var heldOutUsers = CommandLineWords.Get(words, "users", 200);
        var minRatings = CommandLineWords.Get(words, "min-ratings", 40);
        var seed = (ulong)CommandLineWords.Get(words, "seed", 1);
        var options = new TrainingOptions
        {
            Model = ModelKind.Gaussian, Members = 1, Factors = CommandLineWords.Get(words, "k", 10), MaxIterations = CommandLineWords.Get(words, "max-iter", 400),
            Stop = StopRule.TrainLlk, StopThreshold = 1e-5, CheckEvery = 10, Threads = CommandLineWords.Get(words, "threads", 1), Seed = seed,
        };

        var all = TripletFileReader.Read(file, ratings: true);
        var random = new Random((int)seed);
        var candidates = Enumerable.Range(0, all.Users).Where(u => all.ByUser.Length(u) >= minRatings).ToArray();
        random.Shuffle(candidates);
        var heldOut = candidates.Take(heldOutUsers).ToHashSet();
        var builder = new DatasetBuilder(ratings: true);
        for (var u = 0; u < all.Users; u++)
        {
            if (heldOut.Contains(u)) continue;
            var items = all.ByUser.OthersOf(u);
            var ratings = all.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++) builder.Add(all.UserIds[u], all.ItemIds[items[n]], ratings[n]);
        }
        var train = builder.Build();
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = new GaussianTrainer(options).Train(train);
        var model = result.Model;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained on {train.Users} users, {train.Nonzeros} ratings: {result.Report.Iterations} iterations in {clock.Elapsed.TotalSeconds:F1} s ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU); {heldOut.Count} users held out, each with ≥ {minRatings} ratings"));

        var squares = new double[Given.Length];
        var absolute = new double[Given.Length];
        long scored = 0;
        foreach (var u in heldOut.Order())
        {
            var items = all.ByUser.OthersOf(u).ToArray();
            var ratings = all.ByUser.CountsOf(u).ToArray();
            var order = Enumerable.Range(0, items.Length).ToArray();
            random.Shuffle(order);
            var test = order[Given[^1]..];
            for (var g = 0; g < Given.Length; g++)
            {
                var known = order[..Given[g]].Select(n => (Item: model.IndexOfItem(all.ItemIds[items[n]]), Rating: ratings[n])).Where(x => x.Item >= 0).ToArray();
                var posterior = model.FoldIn(known.Select(x => x.Item).ToArray(), known.Select(x => x.Rating).ToArray());
                foreach (var n in test)
                {
                    var error = ratings[n] - model.Predict(posterior, model.IndexOfItem(all.ItemIds[items[n]])).Mean;
                    squares[g] += error * error;
                    absolute[g] += Math.Abs(error);
                }
            }
            scored += test.Length;
        }
        Console.WriteLine($"| ratings folded in | RMSE | MAE |  ({scored} test ratings of the held-out users)");
        Console.WriteLine("|---|---|---|");
        for (var g = 0; g < Given.Length; g++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {Given[g]} | {Math.Sqrt(squares[g] / scored):F4} | {absolute[g] / scored:F4} |"));
        return 0;
    }
}
