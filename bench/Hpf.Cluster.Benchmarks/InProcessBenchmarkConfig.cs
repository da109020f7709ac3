using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// In process (the silos live in the benchmark process, so no child project is built) with
/// a short run: serving and transfer benchmarks measure milliseconds-scale network work, not nanoseconds.
/// </summary>
public sealed class InProcessBenchmarkConfig : ManualConfig
{
    public InProcessBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithIterationCount(10).WithWarmupCount(3));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Max);
    }
}
