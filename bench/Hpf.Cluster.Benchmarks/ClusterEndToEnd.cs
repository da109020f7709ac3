using System.Diagnostics;
using System.Text;
using Hpf.Cluster.Grains;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The end-to-end job trained through the grains: N in-process silos on loopback Kestrel (each with its shards;
/// calls between silos cross Orleans' in-memory transport), the data uploaded through the shards' loading path, the time per iteration
/// as the coordinator measures it, and the bytes the shards fetched from each other.
/// </summary>
internal static class ClusterEndToEnd
{
    public static int Run(Dataset train, string source, double loadSeconds, TrainingOptions training, int silos, int shards) =>
        RunAsync(train, source, loadSeconds, training, silos, shards).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(Dataset train, string source, double loadSeconds, TrainingOptions training, int silos, int shards)
    {
        await using var cluster = await BenchCluster.StartAsync(silos);
        var grains = cluster.Grains;
        var spec = new JobSpec { Training = training, UserShards = shards, ItemShards = shards, CheckpointEvery = 0 };
        var text = new MemoryStream();
        using (var writer = new StreamWriter(text, new UTF8Encoding(false), 1 << 16, leaveOpen: true)) train.WriteTsv(writer);

        var upload = Stopwatch.StartNew();
        var coordinator = grains.GetGrain<ICoordinatorGrain>("bench");
        await coordinator.Create(spec, replace: true, CancellationToken.None);
        text.Position = 0;
        await JobUpload.RunAsync(grains, "bench", DataSetKind.Training, text, "train.tsv", DatasetFormat.Tsv, CancellationToken.None);
        var gcBefore = GcCounts.Now();
        await coordinator.Start(CancellationToken.None);
        var sealSeconds = upload.Elapsed.TotalSeconds;
        JobStatus status;
        while (!(status = (await coordinator.GetStatus(CancellationToken.None))!).IsFinished) await Task.Delay(20);
        if (status.State != JobState.Completed) throw new InvalidOperationException($"the job ended {status.State}: {status.Error}");

        var gc = GcCounts.Now() - gcBefore;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var perIteration = status.SecondsPerIteration;
        Console.WriteLine($"data            {source}");
        Console.WriteLine($"nonzeros        {train.Nonzeros:N0} ({train.Users:N0} users, {train.Items:N0} items), K = {training.Factors}");
        Console.WriteLine($"cluster         {silos} silo(s) on loopback, {shards} user and {shards} item shards, {training.Threads} thread(s) a shard");
        Console.WriteLine($"load (file)     {loadSeconds:F2} s");
        Console.WriteLine($"upload + seal   {sealSeconds:F2} s");
        Console.WriteLine($"iterations      {status.Iteration} (one likelihood check, at the end)");
        Console.WriteLine($"per iteration   {perIteration * 1e3:F2} ms");
        Console.WriteLine($"per nnz×factor  {perIteration * 1e9 / train.Nonzeros / training.Factors:F3} ns");
        Console.WriteLine($"bytes fetched   {status.BytesMoved / (double)status.Iteration / 2 / 1048576:F2} MiB per half-step (mean); item half-step {status.BytesLastHalfStep / 1048576.0:F2} MiB");
        Console.WriteLine($"E[log] rows     {((long)train.Users + train.Items) * training.Factors * 4 / 1048576.0:F2} MiB for one copy of both sides");
        Console.WriteLine($"GC in training  {gc.Describe(status.Iteration)}");
        Console.WriteLine($"peak memory     {peak / 1048576.0:F0} MiB, all silos in this process");
        Console.WriteLine($"train llk       {status.Curve[^1].TrainLogLikelihood:G6}");
        return 0;
    }
}
