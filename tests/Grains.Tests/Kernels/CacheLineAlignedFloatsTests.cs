using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Kernels;

public class CacheLineAlignedFloatsTests
{
    /// <summary>The weight tables' first element starts a cache line and stays there across collections (pinned).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(100_000)]
    public unsafe void FirstElementStartsACacheLine(int length)
    {
        var tables = Enumerable.Range(0, 8).Select(_ => new CacheLineAlignedFloats(length)).ToArray();
        GC.Collect();
        GC.Collect();
        foreach (var table in tables)
        {
            Assert.Equal(length, table.Span.Length);
            fixed (float* first = table.Span) Assert.Equal(0, (long)first % 64);
        }
    }
}
