using Hpf.Cluster.Grains.Data;
using MathNet.Numerics.Distributions;

namespace Hpf.Cluster.Grains.Tests.Data;

public class RandomVariatesTests
{
    private const int Draws = 200_000;

    [Fact]
    public void TheSameSeedGivesTheSameStreamAndStreamsDiffer()
    {
        var one = new Xoshiro256StarStar(42);
        var two = new Xoshiro256StarStar(42);
        for (var n = 0; n < 100; n++) Assert.Equal(one.NextUInt64(), two.NextUInt64());

        var a = Xoshiro256StarStar.ForStream(7, 1, 0);
        var b = Xoshiro256StarStar.ForStream(7, 1, 1);
        var c = Xoshiro256StarStar.ForStream(7, 2, 0);
        var d = Xoshiro256StarStar.ForStream(8, 1, 0);
        var first = a.NextUInt64();
        Assert.NotEqual(first, b.NextUInt64());
        Assert.NotEqual(first, c.NextUInt64());
        Assert.NotEqual(first, d.NextUInt64());
    }

    [Fact]
    public void UniformsStayInTheirIntervals()
    {
        var rng = new Xoshiro256StarStar(3);
        double sum = 0;
        for (var n = 0; n < Draws; n++)
        {
            var u = rng.NextDouble();
            var v = rng.NextDoubleNonZero();
            var j = rng.NextInt(7);
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
            Assert.InRange(v, double.Epsilon, 1.0);
            Assert.InRange(j, 0, 6);
            sum += u;
        }
        Assert.InRange(sum / Draws, 0.5 - 5 * Math.Sqrt(1.0 / 12 / Draws), 0.5 + 5 * Math.Sqrt(1.0 / 12 / Draws));
    }

    [Theory]
    [InlineData(0.1, 1.0)]
    [InlineData(0.3, 2.0)]
    [InlineData(1.0, 0.5)]
    [InlineData(2.5, 3.0)]
    [InlineData(30.0, 0.1)]
    public void GammaMatchesItsMeanAndVariance(double shape, double rate)
    {
        var rng = new Xoshiro256StarStar((ulong)(shape * 1000 + rate));
        var samples = new double[Draws];
        for (var n = 0; n < Draws; n++) samples[n] = RandomVariates.Gamma(ref rng, shape, rate);
        var mean = shape / rate;
        var variance = shape / (rate * rate);
        // Gamma's excess kurtosis is 6/shape: the sample variance has variance σ⁴(2 + 6/shape)/N.
        AssertMoments(samples, mean, variance, variance * variance * (2 + 6 / shape));
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void GammaFollowsMathNetsDistribution(double shape)
    {
        var rng = new Xoshiro256StarStar(11);
        var samples = new double[20_000];
        for (var n = 0; n < samples.Length; n++) samples[n] = RandomVariates.Gamma(ref rng, shape, 2.0);
        Array.Sort(samples);
        var reference = new Gamma(shape, 2.0);
        double d = 0;
        for (var n = 0; n < samples.Length; n++)
        {
            var cdf = reference.CumulativeDistribution(samples[n]);
            d = Math.Max(d, Math.Max(cdf - (double)n / samples.Length, (n + 1.0) / samples.Length - cdf));
        }
        // Kolmogorov–Smirnov at the 0.1% level.
        Assert.True(d < 1.95 / Math.Sqrt(samples.Length), $"KS distance {d} against MathNet's Gamma({shape}, 2)");
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(4.0)]
    [InlineData(9.99)]
    [InlineData(10.0)]
    [InlineData(37.5)]
    [InlineData(1000.0)]
    [InlineData(1e7)]
    public void PoissonMatchesItsMeanAndVariance(double mean)
    {
        var rng = new Xoshiro256StarStar((ulong)(mean * 100));
        var samples = new double[Draws];
        for (var n = 0; n < Draws; n++) samples[n] = RandomVariates.Poisson(ref rng, mean);
        // Poisson's fourth central moment is λ(1 + 3λ).
        AssertMoments(samples, mean, mean, mean + 2 * mean * mean);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(12.0)]
    [InlineData(150.0)]
    public void PoissonFollowsMathNetsProbabilities(double mean)
    {
        var rng = new Xoshiro256StarStar(5);
        var observed = new Dictionary<long, int>();
        for (var n = 0; n < Draws; n++)
        {
            var k = RandomVariates.Poisson(ref rng, mean);
            observed[k] = observed.GetValueOrDefault(k) + 1;
        }
        var reference = new Poisson(mean);
        // χ² over the values expected at least 20 times, the rest pooled into one cell.
        double chi2 = 0, pooledExpected = Draws, pooledObserved = Draws;
        var cells = 0;
        for (long k = 0; k < 10 * mean + 50; k++)
        {
            var expected = Draws * reference.Probability((int)k);
            if (expected < 20) continue;
            var seen = observed.GetValueOrDefault(k);
            chi2 += (seen - expected) * (seen - expected) / expected;
            pooledExpected -= expected;
            pooledObserved -= seen;
            cells++;
        }
        chi2 += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
        var df = cells;
        Assert.True(chi2 < df + 5 * Math.Sqrt(2 * df), $"χ² = {chi2} on {df} degrees of freedom against MathNet's Poisson({mean})");
    }

    [Fact]
    public void PoissonOfZeroIsZeroAndBadMeansAreRefused()
    {
        var rng = new Xoshiro256StarStar(1);
        Assert.Equal(0, RandomVariates.Poisson(ref rng, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Xoshiro256StarStar(1); RandomVariates.Poisson(ref r, -1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Xoshiro256StarStar(1); RandomVariates.Poisson(ref r, double.NaN); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var r = new Xoshiro256StarStar(1); RandomVariates.Gamma(ref r, 0, 1); });
    }

    [Fact]
    public void StandardNormalHasMeanZeroAndVarianceOne()
    {
        var rng = new Xoshiro256StarStar(9);
        var samples = new double[Draws];
        for (var n = 0; n < Draws; n++) samples[n] = RandomVariates.StandardNormal(ref rng);
        AssertMoments(samples, 0, 1, 2);
    }

    [Fact]
    public void AliasTableDrawsInProportionToTheWeights()
    {
        double[] weights = [1, 0, 3, 6, 0.5];
        var table = new AliasTable(weights);
        var rng = new Xoshiro256StarStar(21);
        var seen = new int[weights.Length];
        for (var n = 0; n < Draws; n++) seen[table.Sample(ref rng)]++;
        var total = weights.Sum();
        Assert.Equal(0, seen[1]);
        for (var j = 0; j < weights.Length; j++)
        {
            var p = weights[j] / total;
            var sd = Math.Sqrt(Draws * p * (1 - p));
            Assert.InRange(seen[j], Draws * p - 5 * sd, Draws * p + 5 * sd);
        }
        Assert.Throws<ArgumentException>(() => new AliasTable([0.0, 0.0]));
        Assert.Throws<ArgumentException>(() => new AliasTable([1.0, double.NaN]));
    }

    /// <summary>Sample mean and variance within five standard errors of the truth.</summary>
    private static void AssertMoments(double[] samples, double mean, double variance, double varianceOfVariance)
    {
        double sum = 0;
        foreach (var x in samples) sum += x;
        var sampleMean = sum / samples.Length;
        double squares = 0;
        foreach (var x in samples) squares += (x - sampleMean) * (x - sampleMean);
        var sampleVariance = squares / (samples.Length - 1);
        var meanError = Math.Sqrt(variance / samples.Length);
        var varianceError = Math.Sqrt(varianceOfVariance / samples.Length);
        Assert.True(Math.Abs(sampleMean - mean) < 5 * meanError, $"mean {sampleMean}, expected {mean} ± {meanError}");
        Assert.True(Math.Abs(sampleVariance - variance) < 5 * varianceError, $"variance {sampleVariance}, expected {variance} ± {varianceError}");
    }
}
