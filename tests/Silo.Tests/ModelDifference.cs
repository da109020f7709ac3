using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>Two models of the same data compared parameter by parameter.</summary>
internal static class ModelDifference
{
    /// <summary>The largest |a − b| / max(|a|, |b|, tiny) over every parameter, after checking that the ids agree.</summary>
    public static double MaxRelative(HpfModel expected, HpfModel actual)
    {
        Assert.Equal(expected.UserIds, actual.UserIds);
        Assert.Equal(expected.ItemIds, actual.ItemIds);
        var worst = 0.0;
        foreach (var (a, b) in new[]
        {
            (expected.UserShape, actual.UserShape), (expected.UserRate, actual.UserRate), (expected.UserActivityRate, actual.UserActivityRate),
            (expected.ItemShape, actual.ItemShape), (expected.ItemRate, actual.ItemRate), (expected.ItemPopularityRate, actual.ItemPopularityRate),
        })
        {
            Assert.Equal(a.Length, b.Length);
            for (var j = 0; j < a.Length; j++)
            {
                var scale = Math.Max(Math.Max(Math.Abs(a[j]), Math.Abs(b[j])), 1e-30);
                worst = Math.Max(worst, Math.Abs(a[j] - b[j]) / scale);
            }
        }
        return worst;
    }
}
