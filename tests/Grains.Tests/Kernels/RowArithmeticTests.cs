using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Kernels;

/// <summary>The row update's element-wise arithmetic: bit for bit the loops of one element at a time, at every length.</summary>
public sealed class RowArithmeticTests
{
    public static TheoryData<int> Lengths => [1, 7, 8, 15, 16, 17, 25, 32, 33, 50, 64];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Each_kernel_is_the_scalar_loop_bit_for_bit(int n)
    {
        var random = new Random(n);
        var floats = Enumerable.Range(0, n + 3).Select(_ => (float)(random.NextDouble() * 100 - 20)).ToArray();
        var doubles = Enumerable.Range(0, n + 3).Select(_ => random.NextDouble() * 1e6 - 3e5).ToArray();

        var scaled = (double[])doubles.Clone();
        RowArithmetic.MultiplyByWeights(scaled.AsSpan(0, n), floats);
        for (var j = 0; j < n; j++) Assert.Equal(doubles[j] * floats[j], scaled[j]);
        Assert.Equal(doubles[n..], scaled[n..]);

        var target = Enumerable.Repeat(float.NaN, n + 3).ToArray();
        RowArithmetic.PriorPlus(target.AsSpan(0, n), 0.3, doubles);
        for (var j = 0; j < n; j++) Assert.Equal((float)(0.3 + doubles[j]), target[j]);
        Assert.All(target[n..], x => Assert.True(float.IsNaN(x), "nothing is written past the row"));

        var rates = Enumerable.Range(0, n + 3).Select(_ => (float)(0.01 + random.NextDouble() * 50)).ToArray();
        var quotient = Enumerable.Repeat(float.NaN, n + 3).ToArray();
        RowArithmetic.Divide(floats.AsSpan(0, n), rates, quotient);
        for (var j = 0; j < n; j++) Assert.Equal(floats[j] / rates[j], quotient[j]);
        Assert.All(quotient[n..], x => Assert.True(float.IsNaN(x), "nothing is written past the row"));

        var sums = (double[])doubles.Clone();
        RowArithmetic.AddWidened(sums.AsSpan(0, n), floats);
        for (var j = 0; j < n; j++) Assert.Equal(doubles[j] + floats[j], sums[j]);
        Assert.Equal(doubles[n..], sums[n..]);
    }
}
