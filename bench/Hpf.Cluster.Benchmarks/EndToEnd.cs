using System.Diagnostics;
using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// A whole training job timed from outside the kernels: load (or sample), split, train a fixed number
/// of full-batch iterations, and report what the README's table shows. Run it in a fresh process per
/// size so that the peak memory is that job's own:
///
///   end-to-end --movielens [--test-fraction 0.2]
///   end-to-end --synthetic-nonzeros 1000000 [--users N --items M]
///   common: [--k 50] [--threads 2] [--iterations 20] [--seed 1]
///   through the grains: [--silos N] [--shards S] (N in-process silos on loopback, S shards a side, default N;
///   --threads is then each shard's thread count)
/// </summary>
internal static class EndToEnd
{
    public static int Run(string[] args)
    {
        var options = CommandLineWords.Parse(args, Known, "end-to-end");
        var load = Stopwatch.StartNew();
        Dataset train;
        string source;
        if (options.TryGetValue("synthetic-nonzeros", out var target))
        {
            var nonzeros = long.Parse(target, CultureInfo.InvariantCulture);
            // About 50 nonzeros per user and 10 users per item, unless told otherwise.
            var users = options.TryGetValue("users", out var u) ? int.Parse(u, CultureInfo.InvariantCulture) : (int)Math.Max(1000, nonzeros / 50);
            var items = options.TryGetValue("items", out var i) ? int.Parse(i, CultureInfo.InvariantCulture) : Math.Max(500, users / 10);
            train = SyntheticDataset.Generate(new SyntheticOptions { Users = users, Items = items, Factors = 20, Seed = 11, TargetNonzeros = nonzeros }).Data;
            source = $"sampled from the HPF model, {users} users × {items} items";
        }
        else
        {
            var path = options.TryGetValue("data", out var d) ? d : BenchmarkData.FindMovieLens()
                ?? throw new ArgumentException("no --data FILE and MovieLens 100k not found beside the project");
            var full = TripletFileReader.Read(path);
            var testFraction = options.TryGetValue("test-fraction", out var f) ? double.Parse(f, CultureInfo.InvariantCulture) : 0.2;
            train = testFraction > 0 ? DatasetSplit.ByFraction(full, testFraction, seed: 1).Train : full;
            source = $"{Path.GetFileName(path)}, {1 - testFraction:P0} training split";
        }
        var loadSeconds = load.Elapsed.TotalSeconds;

        var k = CommandLineWords.Get(options, "k", 50);
        var threads = CommandLineWords.Get(options, "threads", 2);
        var iterations = CommandLineWords.Get(options, "iterations", 20);
        var training = new TrainingOptions
        {
            Factors = k, Members = CommandLineWords.Get(options, "members", new TrainingOptions().Members), Threads = threads, MaxIterations = iterations, Stop = StopRule.MaxIter, CheckEvery = iterations,
            Seed = (ulong)CommandLineWords.Get(options, "seed", 1),
        };
        if (options.ContainsKey("silos"))
        {
            var silos = CommandLineWords.Get(options, "silos", 1);
            return ClusterEndToEnd.Run(train, source, loadSeconds, training, silos, CommandLineWords.Get(options, "shards", silos));
        }
        var trainer = new InProcessTrainer(training);
        var result = trainer.Train(train);
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var perIteration = result.Report.SecondsPerIteration;
        Console.WriteLine($"data            {source}");
        Console.WriteLine($"nonzeros        {train.Nonzeros:N0} ({train.Users:N0} users, {train.Items:N0} items), K = {k}, {threads} threads");
        Console.WriteLine($"load            {loadSeconds:F2} s");
        Console.WriteLine($"iterations      {result.Report.Iterations} (one likelihood check, at the end)");
        Console.WriteLine($"per iteration   {perIteration * 1e3:F2} ms");
        Console.WriteLine($"per nnz×factor  {perIteration * 1e9 / train.Nonzeros / k:F3} ns");
        Console.WriteLine($"peak memory     {peak / 1048576.0:F0} MiB ({(double)peak / train.Nonzeros:F0} bytes per nonzero)");
        Console.WriteLine($"train llk       {result.Report.Curve[^1].TrainLogLikelihood:G6}");
        return 0;
    }

    /// <summary>Every option the command reads; "movielens" names the default data (u.data beside the project).</summary>
    private static readonly string[] Known =
        ["data", "movielens", "synthetic-nonzeros", "users", "items", "test-fraction", "k", "members", "threads", "iterations", "seed", "silos", "shards"];
}
