using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// One full-batch iteration (user half-step + item half-step) on MovieLens 100k, K = 50.
/// Target: ≤ 5 ms with 2 threads (hpfrec: 73 ms on the 80% split).
/// </summary>
[MemoryDiagnoser]
public class IterationBenchmarks
{
    private FullBatchSchedule _schedule = null!;
    private int _iteration;

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Plain HPF, and the default ensemble of two members sharing the 50 factors.</summary>
    [Params(1, 2)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchmarkData.MovieLensOrSample();
        var options = new TrainingOptions { Factors = 50, Members = Members, Threads = Threads };
        var state = new ModelState(data, options, Grains.Kernels.SimdWidth.Auto);
        _schedule = new FullBatchSchedule(state, Threads);
        // Start from a model past its first few iterations, where the time per iteration settles.
        for (var i = 0; i < 5; i++) _schedule.RunIteration(++_iteration, CancellationToken.None);
    }

    [Benchmark]
    public void FullBatchIteration() => _schedule.RunIteration(++_iteration, CancellationToken.None);
}
