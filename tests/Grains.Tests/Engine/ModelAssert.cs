using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Tests.Engine;

/// <summary>Model comparisons shared by the determinism and persistence tests.</summary>
internal static class ModelAssert
{
    /// <summary>Same ids and bit-identical parameters (options are not compared: callers may train with different thread counts).</summary>
    public static void Identical(HpfModel expected, HpfModel actual)
    {
        Assert.Equal(expected.UserIds, actual.UserIds);
        Assert.Equal(expected.ItemIds, actual.ItemIds);
        Assert.Equal(expected.UserShape, actual.UserShape);
        Assert.Equal(expected.UserRate, actual.UserRate);
        Assert.Equal(expected.UserActivityRate, actual.UserActivityRate);
        Assert.Equal(expected.ItemShape, actual.ItemShape);
        Assert.Equal(expected.ItemRate, actual.ItemRate);
        Assert.Equal(expected.ItemPopularityRate, actual.ItemPopularityRate);
    }
}
