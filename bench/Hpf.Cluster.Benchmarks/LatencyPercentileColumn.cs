using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// A percentile of the per-iteration times. With one call per iteration (see <see cref="ServingLatencyBenchmarks"/>)
/// that is the percentile of single-call latency, which BenchmarkDotNet's built-in columns stop short of (P95).
/// </summary>
public sealed class LatencyPercentileColumn(int percentile) : IColumn
{
    public string Id => "RuntimeP" + percentile;

    public string ColumnName => "P" + percentile;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => percentile;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => $"{percentile}th percentile of single-call latency";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
        {
            return "-";
        }
        var nanoseconds = statistics.Percentiles.Percentile(percentile);
        return (nanoseconds / 1000.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " us";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
