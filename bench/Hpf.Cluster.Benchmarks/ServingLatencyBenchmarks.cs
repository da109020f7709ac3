using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// p50 and p99 of one top-10 request for one user on a model of 100k items, K = 50, one request at a time: every
/// iteration is a single request, so the iteration statistics are its latency distribution (2 000 requests a case).
/// </summary>
[Config(typeof(LatencyConfig))]
public class ServingLatencyBenchmarks : ServingBenchmark
{
    [Benchmark]
    public Task TopTenLatency() => TopTenForNextUserAsync();

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
            AddColumn(StatisticColumn.Median, new LatencyPercentileColumn(50), new LatencyPercentileColumn(99));
        }
    }
}
