namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>The mean and the sample standard deviation (n − 1) of one metric over the folds.</summary>
internal sealed record MetricSummary(double Mean, double StandardDeviation)
{
    public static MetricSummary Of(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var squares = values.Sum(v => (v - mean) * (v - mean));
        return new MetricSummary(mean, values.Count > 1 ? Math.Sqrt(squares / (values.Count - 1)) : double.NaN);
    }
}
