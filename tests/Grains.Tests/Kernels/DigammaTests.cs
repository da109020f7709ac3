using Hpf.Cluster.Grains.Kernels;
using MathNetSpecial = MathNet.Numerics.SpecialFunctions;

namespace Hpf.Cluster.Grains.Tests.Kernels;

public class DigammaTests
{
    /// <summary>Points spread log-uniformly over (1e-4, 1e6), plus ψ's root where relative error is hardest.</summary>
    public static IEnumerable<double> Grid()
    {
        for (var e = -4.0; e <= 6.0; e += 0.01) yield return Math.Pow(10, e);
        yield return 1.4616321449683623;
        yield return 1.4616;
        yield return 1.4617;
    }

    /// <summary>float32 output: within a few float ulps of |ψ|, or 2e-7 absolute near the root.</summary>
    private static void AssertClose(double expected, double actual, double x)
    {
        var tolerance = Math.Max(2e-7, 4e-7 * Math.Abs(expected));
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"ψ({x:R}) = {expected:R}, got {actual:R}");
    }

    [Fact]
    public void ScalarFloatDigammaMatchesFloat64Reference()
    {
        foreach (var x in Grid())
        {
            var xf = (float)x;
            AssertClose(MathNetSpecial.DiGamma(xf), SpecialFunctions.Digamma(xf), xf);
        }
    }

    [Fact]
    public void DoubleDigammaMatchesReferenceToDoublePrecision()
    {
        foreach (var x in Grid())
        {
            var expected = MathNetSpecial.DiGamma(x);
            Assert.True(Math.Abs(SpecialFunctions.Digamma(x) - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"ψ({x:R})");
        }
    }

    [Fact]
    public void LogGammaMatchesReference()
    {
        foreach (var x in Grid())
        {
            var expected = MathNetSpecial.GammaLn(x);
            Assert.True(Math.Abs(SpecialFunctions.LogGamma(x) - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"lnΓ({x:R})");
        }
    }

    [Fact]
    public void RowExpectedLogMatchesDigammaMinusLogRate()
    {
        var shapes = Grid().Select(x => (float)x).ToArray();
        var random = new Random(3);
        var rates = shapes.Select(_ => (float)Math.Pow(10, random.NextDouble() * 8 - 4)).ToArray();
        var elog = new float[shapes.Length];
        ExpectedLog.Compute(shapes, rates, elog);
        for (var j = 0; j < shapes.Length; j++)
        {
            var expected = MathNetSpecial.DiGamma(shapes[j]) - Math.Log(rates[j]);
            var tolerance = Math.Max(4e-7, 4e-7 * Math.Abs(expected));
            Assert.True(Math.Abs(elog[j] - expected) <= tolerance, $"E[log] for shape {shapes[j]:R} rate {rates[j]:R}: {expected:R} vs {elog[j]:R}");
        }
    }

    [Fact]
    public void ExpShiftedMatchesFloat64AndZeroesPadding()
    {
        var random = new Random(5);
        var elog = Enumerable.Range(0, 50).Select(_ => (float)(random.NextDouble() * 60 - 40)).ToArray();
        var dest = Enumerable.Repeat(7f, 64).ToArray();
        var max = ExpectedLog.ExpShifted(elog, dest);
        Assert.Equal(elog.Max(), max);
        for (var k = 0; k < 50; k++)
        {
            var expected = Math.Exp((double)elog[k] - max);
            Assert.True(Math.Abs(dest[k] - expected) <= 2e-6 * expected + 1e-30, $"k={k}: {expected:R} vs {dest[k]:R}");
        }
        for (var k = 50; k < 64; k++) Assert.Equal(0f, dest[k]);
    }
}
