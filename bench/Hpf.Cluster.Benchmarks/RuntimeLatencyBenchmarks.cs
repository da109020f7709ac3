using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// p50 and p99 of one empty grain call: every iteration is a single call, so the iteration statistics are the
/// call latency distribution (2 000 calls per benchmark, after warm-up).
/// </summary>
[Config(typeof(LatencyConfig))]
public class RuntimeLatencyBenchmarks : RuntimeClusterBenchmark
{
    [Benchmark(Baseline = true)]
    public Task EmptyCallSameSiloLatency() => Cluster.SameSilo.Ping();

    [Benchmark]
    public Task EmptyCallAcrossSilosLatency() => Cluster.OtherSilo.Ping();

    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig()
        {
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Monitoring)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithWarmupCount(200)
                .WithIterationCount(2000)
                .WithLaunchCount(1));
            AddColumn(StatisticColumn.Median, new RuntimeLatencyPercentileColumn(50), new RuntimeLatencyPercentileColumn(99));
        }
    }
}
