namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// The samplers the synthetic generator needs, over <see cref="Xoshiro256StarStar"/> so that a seed fixes the data
/// (the production code does not depend on MathNet; the tests compare against it).
/// </summary>
internal static class RandomVariates
{
    /// <summary>Standard normal by Box–Muller (one of the pair; the generator is cheap next to its callers).</summary>
    public static double StandardNormal(ref Xoshiro256StarStar rng)
    {
        var radius = Math.Sqrt(-2.0 * Math.Log(rng.NextDoubleNonZero()));
        return radius * Math.Cos(2.0 * Math.PI * rng.NextDouble());
    }

    /// <summary>Gamma(shape, rate), mean shape/rate.</summary>
    public static double Gamma(ref Xoshiro256StarStar rng, double shape, double rate) => StandardGamma(ref rng, shape) / rate;

    /// <summary>
    /// Gamma(shape, 1) by Marsaglia and Tsang (2000). For shape &lt; 1 it draws Gamma(shape + 1) and multiplies by
    /// U^(1/shape), their boost; the power is taken through the logarithm so that small shapes do not lose U's digits.
    /// </summary>
    public static double StandardGamma(ref Xoshiro256StarStar rng, double shape)
    {
        if (!(shape > 0) || double.IsInfinity(shape))
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "a Gamma shape must be a finite number > 0");
        if (shape < 1)
            return StandardGamma(ref rng, shape + 1.0) * Math.Exp(Math.Log(rng.NextDoubleNonZero()) / shape);

        var d = shape - 1.0 / 3.0;
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(ref rng);
                v = 1.0 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = rng.NextDouble();
            var x2 = x * x;
            if (u < 1.0 - 0.0331 * x2 * x2) return d * v;                        // the cheap squeeze accepts ~98%
            if (Math.Log(u) < 0.5 * x2 + d * (1.0 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>
    /// Poisson(mean). Below 10, inversion by multiplying uniforms (O(mean) draws); from 10 on, Hörmann's transformed
    /// rejection PTRS (1993), whose cost does not grow with the mean: heavy users of the generator have means of 10⁵.
    /// </summary>
    public static long Poisson(ref Xoshiro256StarStar rng, double mean)
    {
        if (!(mean >= 0) || double.IsInfinity(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "a Poisson mean must be a finite number ≥ 0");
        if (mean == 0) return 0;
        if (mean < 10) return PoissonByInversion(ref rng, mean);
        return PoissonPtrs(ref rng, mean);
    }

    private static long PoissonByInversion(ref Xoshiro256StarStar rng, double mean)
    {
        var limit = Math.Exp(-mean);
        long k = 0;
        var product = rng.NextDouble();
        while (product > limit)
        {
            k++;
            product *= rng.NextDouble();
        }
        return k;
    }

    private static long PoissonPtrs(ref Xoshiro256StarStar rng, double mean)
    {
        var logMean = Math.Log(mean);
        var b = 0.931 + 2.53 * Math.Sqrt(mean);
        var a = -0.059 + 0.02483 * b;
        var inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
        var vr = 0.9277 - 3.6224 / (b - 2);
        while (true)
        {
            var u = rng.NextDouble() - 0.5;
            var v = rng.NextDouble();
            var us = 0.5 - Math.Abs(u);
            var k = Math.Floor((2 * a / us + b) * u + mean + 0.43);
            if (us >= 0.07 && v <= vr) return (long)k;
            if (k < 0 || (us < 0.013 && v > us)) continue;
            if (Math.Log(v) + Math.Log(inverseAlpha) - Math.Log(a / (us * us) + b) <= -mean + k * logMean - LogFactorial.Of(k))
                return (long)k;
        }
    }
}
