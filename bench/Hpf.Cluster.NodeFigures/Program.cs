using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.NodeFigures;

/// <summary>
/// The multi-node figures of docs/benchmarks.md, measured on real Hpf.Silo processes (loopback, the cluster profile on
/// the Azure Storage in $HPF_Storage__ConnectionString, which Azurite provides):
///   detection    kill → every survivor's view without the dead silo, idle cluster of 3, both timing profiles
///   kill         wall time of the 1M job with a shard silo or the coordinator's silo killed, against fault-free runs
///   checkpoints  time per iteration and checkpoint size with a checkpoint every 1, 5, 20 iterations (and none),
///                3 silos on Azure Storage and 1 on the local profile's files
///   scaling      time per iteration of one job on 1 silo (2 threads) against 2 silos pinned to a core each (1 thread
///                a shard) and 2 silos unpinned, rounds alternating; MovieLens 100k's 80% split (--data FILE, 1,000
///                iterations) and a sample of --nonzeros N (10 iterations), each only when asked for; --iterations N for both;
///                each run with the share of the VM's CPU time stolen by its hypervisor while it trained
/// <c>dotnet run -c Release --project bench/Hpf.Cluster.NodeFigures -- all|detection|kill|checkpoints|scaling [--runs N] [--k K]
/// [--data FILE] [--nonzeros N] [--iterations N]</c> (all leaves scaling out)
/// </summary>
public static partial class Program
{
    public static async Task<int> Main(string[] args)
    {
        var what = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
        var runs = Option(args, "--runs", 3);
        var k = Option(args, "--k", 50);
        // The silos of a multi-silo run share Azure Storage: Azurite from deploy/azurite is enough
        // (`deploy/local-cluster.sh start --silos 0` starts one and prints its connection string).
        var storage = Environment.GetEnvironmentVariable("HPF_Storage__ConnectionString");
        if (string.IsNullOrEmpty(storage))
        {
            await Console.Error.WriteLineAsync("Set HPF_Storage__ConnectionString to an Azure Storage the silos may share: deploy/local-cluster.sh start --silos 0 starts Azurite and prints it.");
            return 2;
        }
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {runs} run(s) each, K = {k}");
        if (what is "all" or "detection") await DetectionAsync(storage, runs, stop.Token);
        if (what is "all" or "kill" or "checkpoints")
        {
            var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 20_000, Items = 2_000, Factors = 10, Seed = 3, TargetNonzeros = 1_000_000 });
            var tsv = Tsv(sample.Data);
            Console.WriteLine($"data: {sample.Data.Nonzeros:N0} sampled nonzeros ({sample.Data.Users:N0} users × {sample.Data.Items:N0} items)");
            if (what is "all" or "kill") await KillAsync(storage, runs, k, tsv, stop.Token);
            if (what is "all" or "checkpoints") await CheckpointsAsync(storage, runs, k, tsv, stop.Token);
        }
        if (what == "scaling") await ScalingAsync(storage, runs, k, args, stop.Token);
        return 0;
    }

    private static async Task DetectionAsync(string storage, int runs, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.WriteLine("failure detection: SIGKILL of one of 3 idle silos on Azure Storage → every survivor's view without it");
        foreach (var timing in new[] { MembershipTiming.Shipped, MembershipTiming.OrleansDefaults })
        {
            var times = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                await using var cluster = await SiloProcessCluster.StartAsync(3, storage, timing, cancellationToken);
                // Let a few heartbeats pass so the kill lands at a random point of the heartbeat cycle.
                await Task.Delay(TimeSpan.FromSeconds(1) + Random.Shared.NextDouble() * timing.Probe, cancellationToken);
                var victim = Random.Shared.Next(3);
                var address = (await cluster.InfoAsync(victim))!.Silo;
                cluster.Kill(victim);
                var killed = cluster.Clock.Elapsed;
                times.Add((await cluster.UntilEveryViewDropsAsync(address, killed, cancellationToken)).TotalSeconds);
            }
            Console.WriteLine($"  {timing.Name}: {Summary(times)} s");
        }
    }

    private static async Task KillAsync(string storage, int runs, int k, byte[] tsv, CancellationToken cancellationToken)
    {
        var training = new TrainingOptions { Factors = k, MaxIterations = 100, CheckEvery = 10, Stop = StopRule.MaxIter, Seed = 7, Threads = 1 };
        var spec = new JobSpec { Training = training, UserShards = 3, ItemShards = 3, CheckpointEvery = 10 };
        const int killAfter = 55;
        Console.WriteLine();
        Console.WriteLine($"time lost to a kill: 3 silos on Azure Storage, K = {k}, 100 iterations, checkpoint every 10, SIGKILL after iteration {killAfter};");
        Console.WriteLine("  wall time from start to completed (upload and seal excluded), model against the fault-free cluster run");
        HpfModel? reference = null;
        var faultFree = new List<double>();
        foreach (var (victimKind, timing) in new[] { ("none", MembershipTiming.Shipped), ("shards", MembershipTiming.Shipped), ("coordinator", MembershipTiming.Shipped), ("shards", MembershipTiming.OrleansDefaults) })
        {
            var walls = new List<double>();
            var detections = new List<double>();
            var redone = new List<double>();
            var worst = 0.0;
            for (var run = 0; run < runs; run++)
            {
                await using var cluster = await SiloProcessCluster.StartAsync(3, storage, timing, cancellationToken);
                const string job = "figures";
                await cluster.SubmitAsync(job, spec, tsv, cancellationToken);
                var training0 = await cluster.WaitForJobAsync(job, s => s.State == JobState.Training, cancellationToken);
                var started = cluster.Clock.Elapsed - TimeSpan.FromSeconds(training0.ElapsedSeconds);
                if (victimKind != "none")
                {
                    var coordinator = cluster.CoordinatorOf(job);
                    var victim = victimKind == "coordinator" ? coordinator : (coordinator + 1) % 3;
                    var address = (await cluster.InfoAsync(victim))!.Silo;
                    var before = await cluster.WaitForJobAsync(job, s => s.Iteration >= killAfter, cancellationToken);
                    cluster.Kill(victim);
                    var killed = cluster.Clock.Elapsed;
                    detections.Add((await cluster.UntilEveryViewDropsAsync(address, killed, cancellationToken)).TotalSeconds);
                    redone.Add(before.Iteration - before.LastCheckpoint);
                }
                var final = await cluster.WaitForJobAsync(job, s => s.IsFinished, cancellationToken);
                if (final.State != JobState.Completed) throw new InvalidOperationException($"the job ended {final.State}: {final.Error}");
                walls.Add((cluster.Clock.Elapsed - started).TotalSeconds);
                var model = await cluster.DownloadModelAsync(job, training, cancellationToken);
                if (reference is null) reference = model;
                else worst = Math.Max(worst, MaxRelativeDifference(reference, model));
            }
            if (victimKind == "none") faultFree = walls;
            var lost = walls.Select(w => w - faultFree.Average()).ToList();
            Console.WriteLine(victimKind == "none"
                ? $"  fault-free ({timing.Name}): {Summary(walls)} s"
                : $"  {victimKind} silo killed ({timing.Name}): {Summary(walls)} s, lost {Summary(lost)} s; detection {Summary(detections)} s; " +
                  $"iterations past the last checkpoint at the kill {Summary(redone)}; model difference {worst:G3}");
        }
    }

    private static async Task CheckpointsAsync(string storage, int runs, int k, byte[] tsv, CancellationToken cancellationToken)
    {
        var training = new TrainingOptions { Factors = k, MaxIterations = 60, CheckEvery = 10, Stop = StopRule.MaxIter, Seed = 7, Threads = 1 };
        Console.WriteLine();
        Console.WriteLine($"checkpoints: K = {k}, 60 iterations; mean time per iteration (the coordinator's clock), bytes per checkpoint (all shards), " +
            "mean time of the slowest shard's write");
        foreach (var (silos, store) in new[] { (3, storage), (1, (string?)null) })
        {
            await using var cluster = await SiloProcessCluster.StartAsync(silos, store, MembershipTiming.Shipped, cancellationToken);
            // The first job pays the silos' JIT warm-up: run one unreported.
            var measured = new Dictionary<int, List<(double PerIteration, int Checkpoints, double Bytes, double Slowest)>>();
            foreach (var (every, report) in new[] { (0, false) }.Concat(Enumerable.Repeat(new[] { (0, true), (20, true), (5, true), (1, true) }, runs).SelectMany(r => r)))
            {
                var job = $"every-{every}";
                var spec = new JobSpec { Training = training, UserShards = silos, ItemShards = silos, CheckpointEvery = every };
                var submitted = cluster.Clock.Elapsed;
                await cluster.SubmitAsync(job, spec, tsv, cancellationToken);
                var final = await cluster.WaitForJobAsync(job, s => s.IsFinished, cancellationToken);
                if (final.State != JobState.Completed) throw new InvalidOperationException($"the job ended {final.State}: {final.Error}");
                if (!report) continue;
                var coordinator = cluster.CoordinatorOf(job);
                var written = cluster.Lines(coordinator).Where(l => l.At >= submitted)
                    .Select(l => CheckpointLine().Match(l.Text)).Where(m => m.Success && m.Groups["job"].Value == job && m.Groups["slot"].Value != "2")
                    .Select(m => (Bytes: long.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture), Seconds: double.Parse(m.Groups["seconds"].Value, CultureInfo.InvariantCulture)))
                    .ToList();
                (measured.TryGetValue(every, out var runsOf) ? runsOf : measured[every] = []).Add((final.SecondsPerIteration * 1e3, written.Count,
                    written.Count > 0 ? written[0].Bytes / 1e6 : 0, written.Count > 0 ? written.Average(w => w.Seconds) * 1e3 : 0));
            }
            foreach (var (every, results) in measured)
            {
                Console.WriteLine($"  {silos} silo(s) on {(store is null ? "files" : "Azure Storage")}, every {(every == 0 ? "— (final only)" : every.ToString(CultureInfo.InvariantCulture))}: " +
                    $"{Summary(results.Select(r => r.PerIteration).ToList())} ms per iteration, {results[0].Checkpoints} checkpoints" +
                    (results[0].Checkpoints > 0 ? $" of {results[0].Bytes:F1} MB, slowest shard {Summary(results.Select(r => r.Slowest).ToList())} ms" : ""));
            }
        }
    }

    /// <summary>
    /// The issue's two-silo figure as its words say it: two silo processes with one core each (pinned, so neither's
    /// threads run on the other's core) against one silo with both cores and two threads, on Azure Storage both, one
    /// user and one item shard per silo. Two unpinned silos show what sharing the cores costs.
    /// </summary>
    private static async Task ScalingAsync(string storage, int runs, int k, string[] args, CancellationToken cancellationToken)
    {
        var at = Array.IndexOf(args, "--data");
        var nonzeros = Option(args, "--nonzeros", 0);
        // 10 iterations of a large sample carry the first iteration's one-off costs; more give a steadier figure.
        var asked = Option(args, "--iterations", 0);
        var sets = new List<(string Name, byte[] Tsv, int Iterations)>();
        if (at >= 0 && at + 1 < args.Length)
        {
            var full = TripletFileReader.Read(args[at + 1]);
            sets.Add(($"{Path.GetFileName(args[at + 1])}, 80% training split", Tsv(DatasetSplit.ByFraction(full, 0.2, seed: 1).Train), asked > 0 ? asked : 1000));
        }
        if (nonzeros > 0)
        {
            var users = Math.Max(1000, nonzeros / 50);
            var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = users, Items = Math.Max(500, users / 10), Factors = 20, Seed = 11, TargetNonzeros = nonzeros });
            sets.Add(($"{sample.Data.Nonzeros:N0} sampled nonzeros", Tsv(sample.Data), asked > 0 ? asked : 10));
        }
        if (sets.Count == 0) throw new ArgumentException("scaling needs --data FILE (MovieLens u.data) or --nonzeros N");
        var layouts = new[]
        {
            (Name: "1 silo, 2 threads", Silos: 1, Threads: 2, Cores: (string[]?)null),
            (Name: "2 silos pinned to a core each, 1 thread", Silos: 2, Threads: 1, Cores: ["0", "1"]),
            (Name: "2 silos unpinned, 1 thread", Silos: 2, Threads: 1, Cores: null),
        };
        foreach (var (name, tsv, iterations) in sets)
        {
            Console.WriteLine();
            Console.WriteLine($"scaling: {name}, K = {k}, {iterations} iterations, ms per iteration (the coordinator's clock), {runs} rounds");
            var training = new TrainingOptions { Factors = k, MaxIterations = iterations, CheckEvery = iterations, Stop = StopRule.MaxIter, Seed = 1 };
            var figures = layouts.Select(_ => new List<double>()).ToArray();
            var stolen = layouts.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < runs; round++)
            {
                // Every other round runs the layouts in reverse: the first run of a round measured slower than the
                // second in every A B B A round tried, enough to bias a layout that always ran first.
                var reversed = round % 2 == 1;
                for (var step = 0; step < layouts.Length; step++)
                {
                    var l = reversed ? layouts.Length - 1 - step : step;
                    var layout = layouts[l];
                    await using var cluster = await SiloProcessCluster.StartAsync(layout.Silos, storage, MembershipTiming.Shipped, cancellationToken, layout.Cores);
                    var spec = new JobSpec { Training = training with { Threads = layout.Threads }, UserShards = layout.Silos, ItemShards = layout.Silos, CheckpointEvery = 0 };
                    await cluster.SubmitAsync("scaling", spec, tsv, cancellationToken);
                    // The steal share of the training alone: loading a large sample takes as long as its iterations.
                    await cluster.WaitForJobAsync("scaling", s => s.State == JobState.Training, cancellationToken, JobStatus.ProgressPollInterval);
                    var training0 = StolenCpuTime.Now();
                    var final = await cluster.WaitForJobAsync("scaling", s => s.IsFinished, cancellationToken, JobStatus.ProgressPollInterval);
                    stolen[l].Add(StolenCpuTime.Now().PercentSince(training0));
                    if (final.State != JobState.Completed) throw new InvalidOperationException($"the job ended {final.State}: {final.Error}");
                    figures[l].Add(final.SecondsPerIteration * 1e3);
                }
                Console.WriteLine($"  round {round + 1}{(reversed ? " (last layout first)" : "")}: " + string.Join(", ", layouts.Select((layout, l) =>
                    $"{layout.Name} {figures[l][round]:F2}" + (l > 0 ? $" ({figures[l][round] / figures[0][round]:F2}×)" : "") + $" [steal {stolen[l][round]:F0}%]")));
            }
            for (var l = 0; l < layouts.Length; l++)
            {
                var ratios = figures[l].Select((f, r) => f / figures[0][r]).ToList();
                Console.WriteLine($"  {layouts[l].Name}: {Summary(figures[l])} ms" + (l > 0 ? $", {Summary(ratios)}× of 1 silo in its round" : "") + $"; steal {Summary(stolen[l])}%");
            }
        }
    }

    private static byte[] Tsv(Dataset data)
    {
        var text = new StringWriter();
        data.WriteTsv(text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static double MaxRelativeDifference(HpfModel a, HpfModel b)
    {
        var worst = 0.0;
        foreach (var (x, y) in new[] { (a.UserShape, b.UserShape), (a.UserRate, b.UserRate), (a.ItemShape, b.ItemShape), (a.ItemRate, b.ItemRate) })
        {
            for (var j = 0; j < x.Length; j++)
                worst = Math.Max(worst, Math.Abs(x[j] - y[j]) / Math.Max(Math.Max(Math.Abs(x[j]), Math.Abs(y[j])), 1e-30));
        }
        return worst;
    }

    private static string Summary(IReadOnlyList<double> values) =>
        values.Count == 0 ? "—" : values.Count == 1 ? $"{values[0]:F2}" : $"{values.Min():F2}–{values.Max():F2} (mean {values.Average():F2})";

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    [GeneratedRegex(@"Job (?<job>\S+): checkpoint of iteration \d+ in slot (?<slot>\d+) complete, (?<bytes>\d+) bytes, slowest shard (?<seconds>[\d.]+) s")]
    private static partial Regex CheckpointLine();
}
