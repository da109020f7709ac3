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
///   common: [--k 50] [--members 2] [--threads 2] [--iterations 20] [--seed 1] (full batch; with --svi, alternating SVI
///   at a tenth of the rows a batch, as `hpf train --svi`, each iteration one epoch of users or of items)
///   beside the C yardstick: --yardstick [--rounds 3] [--yardstick-dir DIR] (bench/native/fused_loop.c on the same
///   nonzeros, compiled with gcc and run as a child process before each of the engine's runs, once whole and once
///   only reading the rows it gathers; prints ours ÷ C per round, for the whole job and for its middle iterations, which
///   leave out the set-up and the likelihood check, as C's mean leaves out its own set-up; DIR keeps the program and the nonzeros file for running it again by hand)
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
        // The sampler's or reader's working arrays are garbage now; collected here, they do not stand in the peak the job reports.
        GC.Collect();

        if (options.ContainsKey("svi") && options.ContainsKey("yardstick"))
            throw new ArgumentException("--yardstick times full-batch passes: leave out --svi");
        var k = CommandLineWords.Get(options, "k", 50);
        var threads = CommandLineWords.Get(options, "threads", 2);
        var iterations = CommandLineWords.Get(options, "iterations", 20);
        var training = new TrainingOptions
        {
            // Full batch and every setting that shapes the work named here, so the figures do not move with the defaults.
            Factors = k, Members = CommandLineWords.Get(options, "members", 2), Threads = threads, MaxIterations = iterations, Stop = StopRule.MaxIter, CheckEvery = iterations,
            UsersPerBatch = null, ItemsPerBatch = null,
            UserBatchFraction = options.ContainsKey("svi") ? 0.1 : null, ItemBatchFraction = options.ContainsKey("svi") ? 0.1 : null,
            Seed = (ulong)CommandLineWords.Get(options, "seed", 1),
        };
        if (options.ContainsKey("silos"))
        {
            var silos = CommandLineWords.Get(options, "silos", 1);
            return ClusterEndToEnd.Run(train, source, loadSeconds, training, silos, CommandLineWords.Get(options, "shards", silos));
        }
        Console.WriteLine($"data            {source}");
        Console.WriteLine($"nonzeros        {train.Nonzeros:N0} ({train.Users:N0} users, {train.Items:N0} items), K = {k}, {training.Members} member(s), {threads} threads" +
            (training.IsStochastic ? ", alternating SVI at 0.1 of the rows a batch: an iteration is an epoch" : ""));
        Console.WriteLine($"load            {loadSeconds:F2} s (read, sum duplicates, build rows; {SinceProcessStart():F2} s after the process started)");
        if (!options.ContainsKey("yardstick"))
        {
            Train(train, training);
            PrintPeak(train);
            return 0;
        }

        // Rounds of (C yardstick, engine), each on the same nonzeros with the same threads and iteration count, so that
        // the ratio is taken between runs minutes apart on the same, possibly busy, machine.
        using var yardstick = NativeYardstick.Prepare(train, options.GetValueOrDefault("yardstick-dir"));
        Console.WriteLine($"yardstick       {yardstick.CommandFor(k, training.Members, threads, iterations)}");
        var rounds = CommandLineWords.Get(options, "rounds", 3);
        var wallRatios = new double[rounds];
        var cpuRatios = new double[rounds];
        var steadyRatios = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var (best, mean, cpu) = yardstick.Measure(k, training.Members, threads, iterations);
            Console.WriteLine($"round {round + 1}: C   {mean * 1e3:F2} ms per iteration (best {best * 1e3:F2} ms), CPU {cpu * 1e3:F2} ms   load {LoadAverage()}");
            var reading = yardstick.Measure(k, training.Members, threads, iterations, gatherOnly: true);
            Console.WriteLine($"round {round + 1}: C reading the rows only   {reading.Mean * 1e3:F2} ms per iteration (best {reading.Best * 1e3:F2} ms)");
            var (ours, oursCpu, steady) = Train(train, training);
            wallRatios[round] = ours / mean;
            cpuRatios[round] = oursCpu / cpu;
            steadyRatios[round] = steady / mean;
            Console.WriteLine($"round {round + 1}: ours ÷ C  {wallRatios[round]:F2} wall, {cpuRatios[round]:F2} CPU; middle iterations {steadyRatios[round]:F2} wall");
            // The next round's job should not find this one's arrays still held: the peak stays one job's.
            GC.Collect();
        }
        Console.WriteLine($"ours ÷ C        wall: median {Median(wallRatios):F2} over {rounds} rounds (range {wallRatios.Min():F2}–{wallRatios.Max():F2})");
        Console.WriteLine($"ours ÷ C        CPU:  median {Median(cpuRatios):F2} (range {cpuRatios.Min():F2}–{cpuRatios.Max():F2})");
        if (iterations > 2)
            Console.WriteLine($"ours ÷ C        middle iterations, wall: median {Median(steadyRatios):F2} (range {steadyRatios.Min():F2}–{steadyRatios.Max():F2})");
        PrintPeak(train);
        return 0;
    }

    /// <summary>Trains one job and prints its time per iteration.</summary>
    /// <returns>Seconds per iteration (the mean, the model's set-up, the first iteration and the one likelihood check
    /// included), wall and CPU (every thread of the process, the garbage collector's and the JIT's included); and the
    /// mean wall seconds of the iterations between the first and the last, which carry the set-up and the check (the C
    /// yardstick times its passes alone). NaN for two iterations or fewer.</returns>
    private static (double Wall, double Cpu, double Middle) Train(Dataset train, TrainingOptions training)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var elapsed = new List<double>();
        var result = new InProcessTrainer(training).Train(train, progress: new ElapsedRecorder(elapsed));
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / result.Report.Iterations;
        var perIteration = result.Report.SecondsPerIteration;
        var n = elapsed.Count;
        var middle = n > 2 ? (elapsed[n - 2] - elapsed[0]) / (n - 2) : double.NaN;
        Console.WriteLine($"iterations      {result.Report.Iterations} (one likelihood check, at the end)   load {LoadAverage()}");
        Console.WriteLine($"per iteration   {perIteration * 1e3:F2} ms, CPU {cpu * 1e3:F2} ms");
        if (n > 2)
        {
            Console.WriteLine($"middle          {middle * 1e3:F2} ms per iteration (2 to {n - 1}); set-up and first iteration {elapsed[0] * 1e3:F0} ms, " +
                $"last iteration and check {(elapsed[n - 1] - elapsed[n - 2]) * 1e3:F0} ms");
        }
        Console.WriteLine($"per nnz×factor  {perIteration * 1e9 / train.Nonzeros / training.Factors:F3} ns");
        Console.WriteLine($"train llk       {result.Report.Curve[^1].TrainLogLikelihood:G6}");
        return (perIteration, cpu, middle);
    }

    /// <summary>Keeps the seconds since the start of training at the end of each iteration, as the trainer reports them.</summary>
    private sealed class ElapsedRecorder(List<double> elapsed) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => elapsed.Add(value.Elapsed.TotalSeconds);
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void PrintPeak(Dataset train)
    {
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine($"peak memory     {peak / 1048576.0:F0} MiB ({(double)peak / train.Nonzeros:F0} bytes per nonzero)");
    }

    /// <summary>Seconds since the process started: what a user waits for the first iteration, the runtime's start included.</summary>
    private static double SinceProcessStart() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;

    /// <summary>The 1-minute load average (/proc/loadavg): how busy the machine was while a figure was taken.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>Every option the command reads; "movielens" names the default data (u.data beside the project).</summary>
    private static readonly string[] Known =
        ["data", "movielens", "synthetic-nonzeros", "users", "items", "test-fraction", "k", "members", "threads", "iterations", "seed", "silos", "shards",
         "yardstick", "rounds", "yardstick-dir", "svi"];
}
