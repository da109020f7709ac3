using System.Runtime.Intrinsics;
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

    // Every length from one factor to past two registers: the vector paths end with a register that overlaps the one
    // before it (25 factors are [0, 16) and [9, 25)), and a short row takes the scalar path.
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(25)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(50)]
    public void RowExpectedLogOfAnyLengthMatchesEachFactorAlone(int k)
    {
        var random = new Random(k);
        var shapes = Enumerable.Range(0, k).Select(_ => (float)(0.01 + random.NextDouble() * 80)).ToArray();
        var rates = Enumerable.Range(0, k).Select(_ => (float)Math.Pow(10, random.NextDouble() * 6 - 3)).ToArray();
        var elog = Enumerable.Repeat(float.NaN, k + 3).ToArray();
        ExpectedLog.Compute(shapes, rates, elog.AsSpan(0, k));
        var one = new float[1];
        for (var j = 0; j < k; j++)
        {
            // The same factor computed as a row of its own, and against the float64 reference.
            ExpectedLog.Compute(shapes.AsSpan(j, 1), rates.AsSpan(j, 1), one);
            var expected = MathNetSpecial.DiGamma(shapes[j]) - Math.Log(rates[j]);
            Assert.True(Math.Abs(elog[j] - expected) <= Math.Max(4e-7, 4e-7 * Math.Abs(expected)), $"K={k}, k={j}: {expected:R} vs {elog[j]:R}");
            Assert.True(Math.Abs(elog[j] - one[0]) <= Math.Max(1e-7, 2e-7 * Math.Abs(expected)), $"K={k}, k={j}: {one[0]:R} alone vs {elog[j]:R} in the row");
        }
        Assert.All(elog.AsSpan(k).ToArray(), x => Assert.True(float.IsNaN(x), "nothing is written past the row"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(25)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(50)]
    public void ExpShiftedMatchesFloat64AndZeroesPadding(int k)
    {
        var random = new Random(5 + k);
        var elog = Enumerable.Range(0, k).Select(_ => (float)(random.NextDouble() * 60 - 40)).ToArray();
        var padded = (k + 15) / 16 * 16 + 16;
        var dest = Enumerable.Repeat(7f, padded).ToArray();
        var max = ExpectedLog.ExpShifted(elog, dest);
        Assert.Equal(elog.Max(), max);
        for (var j = 0; j < k; j++)
        {
            var expected = Math.Exp((double)elog[j] - max);
            // The shift is a float32 subtraction: its rounding (half an ulp of the difference) is a relative error of exp.
            var relative = Math.Abs(elog[j] - max) * Math.Pow(2, -24) + 2e-7;
            Assert.True(Math.Abs(dest[j] - expected) <= relative * expected + 1e-38, $"K={k}, k={j}: {expected:R} vs {dest[j]:R}");
        }
        for (var j = k; j < padded; j++) Assert.Equal(0f, dest[j]);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(25, 0)]
    [InlineData(25, 24)]
    [InlineData(40, 39)]
    public void ExpShiftedReturnsNaNWhenAFactorIsNaN(int k, int at)
    {
        var elog = Enumerable.Range(0, k).Select(j => (float)-j).ToArray();
        elog[at] = float.NaN;
        var dest = new float[k];
        Assert.True(float.IsNaN(ExpectedLog.ExpShifted(elog, dest)));
    }

    [Fact]
    public void ExponentialOfCorrectionsMatchesFloat64Exp()
    {
        var random = new Random(9);
        for (var i = 0; i < 200_000; i++)
        {
            // Down to the smallest max a member is scaled by (1e-250, c ≈ −575), most of them where shapes lie (c > −20).
            var c = -random.NextDouble() * (i % 4 == 0 ? 575 : 20);
            var got = ExpectedLog.ExpOfCorrection(Vector512.Create(c)).GetElement(i % 8);
            var expected = Math.Exp(c);
            Assert.True(Math.Abs(got - expected) <= 2e-11 * expected, $"exp({c:R}) = {expected:R}, got {got:R}");
        }
        Assert.Equal(1.0, ExpectedLog.ExpOfCorrection(Vector512<double>.Zero).GetElement(0));
        Assert.Equal(0.0, ExpectedLog.ExpOfCorrection(Vector512.Create(-800.0)).GetElement(0));
        Assert.Equal(0.0, ExpectedLog.ExpOfCorrection(Vector512.Create(double.NegativeInfinity)).GetElement(0));
        Assert.True(double.IsNaN(ExpectedLog.ExpOfCorrection(Vector512.Create(double.NaN)).GetElement(0)));
    }

    [Fact]
    public void RowExponentialsMatchDigammaMinusLogRate()
    {
        var shapes = Grid().Where(x => x >= 2e-3).Select(x => (float)x).ToArray();
        var random = new Random(4);
        var rates = shapes.Select(_ => (float)Math.Pow(10, random.NextDouble() * 8 - 4)).ToArray();
        var exps = new double[shapes.Length];
        ExpectedLog.ExpOf(shapes, rates, exps);
        for (var j = 0; j < shapes.Length; j++)
        {
            var expected = Math.Exp(MathNetSpecial.DiGamma(shapes[j]) - Math.Log(rates[j]));
            Assert.True(Math.Abs(exps[j] - expected) <= 1e-9 * expected, $"exp(E[log]) for shape {shapes[j]:R} rate {rates[j]:R}: {expected:R} vs {exps[j]:R}");
        }
    }

    /// <summary>
    /// The weights from the parameters against exp(E[log] − member max) in float64: within float32's rounding, the
    /// padding zero. The lengths cover the vector path's overlapping last register and rows shorter than a register.
    /// </summary>
    [Theory]
    [InlineData(5, 1)]
    [InlineData(8, 1)]
    [InlineData(9, 1)]
    [InlineData(25, 1)]
    [InlineData(50, 1)]
    [InlineData(50, 2)]
    [InlineData(100, 4)]
    public void WeightsFromParametersMatchFloat64(int k, int memberCount)
    {
        var members = new FactorMembers(k, memberCount, SimdWidth.Bits512);
        var random = new Random(k * 10 + memberCount);
        var shapes = Enumerable.Range(0, k).Select(_ => (float)(0.3 + random.NextDouble() * random.NextDouble() * 200)).ToArray();
        var rates = Enumerable.Range(0, k).Select(_ => (float)Math.Pow(10, random.NextDouble() * 4 - 1)).ToArray();
        var weights = Enumerable.Repeat(7f, members.Stride).ToArray();
        Assert.True(members.WeightsFromParameters(shapes, rates, weights, new double[k], new float[k]));
        AssertWeightsMatchFloat64(members, shapes, rates, weights);
    }

    [Fact]
    public void AMemberWhoseShapesAreAllTinyIsWeightedByWayOfExpectedLog()
    {
        // Member 0's shapes near 1e-3 have exponentials under 1e-250 (ψ(x) ≈ −1/x), which cannot be scaled; member 1's are ordinary.
        var members = new FactorMembers(50, 2, SimdWidth.Bits512);
        var random = new Random(12);
        var shapes = Enumerable.Range(0, 50).Select(j => j < 25 ? (float)(8e-4 + random.NextDouble() * 4e-4) : (float)(0.3 + random.NextDouble() * 30)).ToArray();
        var rates = Enumerable.Range(0, 50).Select(_ => (float)(0.5 + random.NextDouble() * 50)).ToArray();
        var exps = new double[50];
        ExpectedLog.ExpOf(shapes, rates, exps);
        Assert.True(exps.Take(25).Max() < ExpectedLog.MinScalableMax, "the test's member 0 should underflow");
        var weights = new float[members.Stride];
        Assert.True(members.WeightsFromParameters(shapes, rates, weights, exps, new float[50]));
        // The way of E[log] rounds E[log] (about −1000 here) to float32 first: half an ulp of it and of the max, about 6e-5
        // each, is a relative error of the weight.
        AssertWeightsMatchFloat64(members, shapes, rates, weights, perUnitOfLog: Math.Pow(2, -24));
    }

    [Theory]
    [InlineData(float.NaN, 1f)]
    [InlineData(float.PositiveInfinity, 1f)]
    [InlineData(2f, 0f)]
    public void WeightsOfARowWithANonFiniteFactorAreNotFinite(float shape, float rate)
    {
        var members = new FactorMembers(50, 2, SimdWidth.Bits512);
        var shapes = Enumerable.Repeat(1.5f, 50).ToArray();
        var rates = Enumerable.Repeat(2f, 50).ToArray();
        shapes[30] = shape;
        rates[30] = rate;
        var weights = new float[members.Stride];
        Assert.False(members.WeightsFromParameters(shapes, rates, weights, new double[50], new float[50]));
        Assert.True(float.IsNaN(weights[members.WeightStart(1) + 5]), "the member with the broken factor is NaN");
        Assert.Equal(1f, members.WeightsOf<float>(weights, 0).ToArray().Max());
    }

    private static void AssertWeightsMatchFloat64(FactorMembers members, float[] shapes, float[] rates, float[] weights, double perUnitOfLog = 0)
    {
        for (var m = 0; m < members.Count; m++)
        {
            var first = members.FactorStart(m);
            var elog = Enumerable.Range(first, members.FactorCount(m)).Select(j => MathNetSpecial.DiGamma(shapes[j]) - Math.Log(rates[j])).ToArray();
            var max = elog.Max();
            var memberWeights = members.WeightsOf<float>(weights, m);
            for (var f = 0; f < elog.Length; f++)
            {
                var expected = Math.Exp(elog[f] - max);
                var tolerance = (Math.Pow(2, -24) + 1e-9 + perUnitOfLog * (Math.Abs(elog[f]) + Math.Abs(max))) * expected + 1e-45;
                Assert.True(Math.Abs(memberWeights[f] - expected) <= tolerance, $"member {m}, factor {f}: {expected:R} vs {memberWeights[f]:R}");
            }
            for (var f = elog.Length; f < memberWeights.Length; f++) Assert.Equal(0f, memberWeights[f]);
        }
    }

    [Theory]
    [InlineData(25, 0)]
    [InlineData(25, 12)]
    [InlineData(25, 24)]
    [InlineData(10, 9)]
    [InlineData(50, 31)]
    public void MinWeightFindsTheSmallestFactorOfEveryMember(int k, int smallest)
    {
        var members = new FactorMembers(k, k >= 20 ? 2 : 1, SimdWidth.Bits512);
        var elog = Enumerable.Range(0, k).Select(j => (float)(-(j % 7))).ToArray();
        elog[smallest] = -60;
        var weights = new float[members.Stride];
        Assert.True(members.ExpShifted(elog, weights));
        Assert.Equal(MathF.Exp(-60 - 0f), members.MinWeight(weights), 1e-30f);
    }
}
