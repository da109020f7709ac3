using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>
/// The closed-form update of one row's q(z) = N(m, Σ), z = (factors, bias), given its ratings, the other side's
/// moments and the side's population prior N(m₀, diag v) (docs/maths.md, "Ratings"). Each counterpart n contributes
/// through a_n = (its factors, 1) and its bias o_n, since r − μ = zᵀa_n + o_n + noise:
/// <code>
///   Σ⁻¹ = diag(1/v) + τ Σ_n E[a aᵀ]        Σ⁻¹m = m₀/v + τ Σ_n ((r − μ) E[a] − E[a o])
/// </code>
/// with τ = 1/σ². The same code serves users (counterparts: items) and items (counterparts: users).
/// </summary>
public static class GaussianRowUpdate
{
    /// <summary>A population prior as the update reads it: its precision Λ = Σ₀⁻¹ and Λm₀, taken once per half-step.</summary>
    public sealed class PriorPrecision
    {
        public PriorPrecision(GaussianPopulation population)
        {
            var d = population.Mean.Length;
            Precision = new double[d * d];
            if (!Cholesky(population.Covariance, new double[d * d], d, out var factor))
                throw new ArgumentException("the population covariance is not positive definite");
            Invert(factor, Precision, new double[d], d);
            Linear = new double[d];
            for (var j = 0; j < d; j++)
            {
                double sum = 0;
                for (var l = 0; l < d; l++) sum += Precision[j * d + l] * population.Mean[l];
                Linear[j] = sum;
            }
        }

        public double[] Precision { get; }
        public double[] Linear { get; }
    }

    /// <summary>Work space for one thread: the precision and its Cholesky factor.</summary>
    public sealed class Scratch(int dimension)
    {
        public double[] Precision { get; } = new double[dimension * dimension];
        public double[] Factor { get; } = new double[dimension * dimension];
        public double[] Linear { get; } = new double[dimension];
        public double[] Column { get; } = new double[dimension];
        public double[] OwnSecond { get; } = new double[dimension * dimension];
    }

    /// <summary>
    /// Updates the row and returns its ratings' terms of the fit sums under the new q; false (and the row left
    /// unusable) when the precision is not positive definite or a value is not finite.
    /// </summary>
    /// <param name="others">The row's counterparts, as indices into <paramref name="moments"/> (stride <see cref="GaussianRows.MomentStride"/>).</param>
    /// <param name="fit">[6]: count, Σr, Σr², ΣE[s], Σr·E[s], ΣE[s²] of this row's ratings.</param>
    public static bool Update(ReadOnlySpan<int> others, ReadOnlySpan<float> ratings, ReadOnlySpan<double> moments, int factors,
        PriorPrecision prior, double mu, double noiseVariance, Span<double> mean, Span<double> covariance, Span<double> fit, Scratch scratch)
    {
        var d = factors + 1;
        var k = factors;
        var stride = GaussianRows.MomentStride(factors);
        var tau = 1.0 / noiseVariance;
        var p = scratch.Precision;
        var h = scratch.Linear;
        prior.Precision.CopyTo(p, 0);
        prior.Linear.CopyTo(h, 0);
        for (var n = 0; n < others.Length; n++)
        {
            var row = moments.Slice(others[n] * stride, stride);
            var cm = row[..d];
            var second = row[d..];
            var e = ratings[n] - mu;
            // Upper triangle of E[a aᵀ]: a = (y, 1), so its factor block is E[yyᵀ], its last column E[y], then 1.
            for (var j = 0; j < k; j++)
            {
                var pj = p.AsSpan(j * d, d);
                var sj = second.Slice(j * d, d);
                for (var l = j; l < k; l++) pj[l] += tau * sj[l];
                pj[k] += tau * cm[j];
                h[j] += tau * (e * cm[j] - sj[k]);
            }
            p[k * d + k] += tau;
            h[k] += tau * (e - cm[k]);
        }
        for (var j = 0; j < d; j++)
        {
            for (var l = j + 1; l < d; l++) p[l * d + j] = p[j * d + l];
        }
        if (!Cholesky(p, scratch.Factor, d)) return false;
        Invert(scratch.Factor, covariance, scratch.Column, d);
        for (var j = 0; j < d; j++)
        {
            double sum = 0;
            for (var l = 0; l < d; l++) sum += covariance[j * d + l] * h[l];
            mean[j] = sum;
        }
        for (var j = 0; j < d; j++)
        {
            if (!double.IsFinite(mean[j])) return false;
        }
        FitTerms(others, ratings, moments, factors, mean, covariance, fit, scratch);
        return double.IsFinite(fit[5]);
    }

    /// <summary>The row's ratings' terms of the fit sums (count, Σr, Σr², ΣE[s], Σr·E[s], ΣE[s²]) under its q and the counterparts' moments.</summary>
    public static void FitTerms(ReadOnlySpan<int> others, ReadOnlySpan<float> ratings, ReadOnlySpan<double> moments, int factors,
        ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance, Span<double> fit, Scratch scratch)
    {
        var d = factors + 1;
        var k = factors;
        var stride = GaussianRows.MomentStride(factors);
        var own = scratch.OwnSecond;
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++) own[j * d + l] = covariance[j * d + l] + mean[j] * mean[l];
        }
        double sumR = 0, sumR2 = 0, sumS = 0, sumRS = 0, sumS2 = 0;
        for (var n = 0; n < others.Length; n++)
        {
            var row = moments.Slice(others[n] * stride, stride);
            var cm = row[..d];
            var second = row[d..];
            double r = ratings[n];
            // s = zᵀa + o: E[s] = mᵀE[a] + E[o]; E[s²] = tr(E[zzᵀ]E[aaᵀ]) + 2mᵀE[a o] + E[o²].
            var es = mean[k] + cm[k];
            for (var j = 0; j < k; j++) es += mean[j] * cm[j];
            double trace = own[k * d + k];
            for (var j = 0; j < k; j++)
            {
                var oj = own.AsSpan(j * d, d);
                var sj = second.Slice(j * d, d);
                double block = 0;
                for (var l = 0; l < k; l++) block += oj[l] * sj[l];
                trace += block + 2 * oj[k] * cm[j];
            }
            double cross = mean[k] * cm[k];
            for (var j = 0; j < k; j++) cross += mean[j] * second[j * d + k];
            var es2 = trace + 2 * cross + second[k * d + k];
            sumR += r;
            sumR2 += r * r;
            sumS += es;
            sumRS += r * es;
            sumS2 += es2;
        }
        fit[0] = others.Length;
        fit[1] = sumR;
        fit[2] = sumR2;
        fit[3] = sumS;
        fit[4] = sumRS;
        fit[5] = sumS2;
    }

    /// <summary>log det of a symmetric positive definite matrix (−∞ when it is not).</summary>
    /// <param name="factor">Scratch of d × d for the Cholesky factor: nothing is allocated per call (the side's sums take one a row).</param>
    public static double LogDeterminant(ReadOnlySpan<double> matrix, double[] factor, int d)
    {
        if (!Cholesky(matrix, factor, d)) return double.NegativeInfinity;
        double sum = 0;
        for (var j = 0; j < d; j++) sum += Math.Log(factor[j * d + j]);
        return 2 * sum;
    }

    private static bool Cholesky(ReadOnlySpan<double> a, double[] l, int d, out double[] factor)
    {
        factor = l;
        return Cholesky(a, l, d);
    }

    /// <summary>The inverse of a symmetric positive definite matrix, or false.</summary>
    public static bool TryInvert(ReadOnlySpan<double> matrix, Span<double> inverse, int d)
    {
        var factor = new double[d * d];
        if (!Cholesky(matrix, factor, d)) return false;
        Invert(factor, inverse, new double[d], d);
        return true;
    }

    /// <summary>Lower-triangular L with LLᵀ = <paramref name="a"/> (which it only reads); false when a is not positive definite.</summary>
    private static bool Cholesky(ReadOnlySpan<double> a, double[] l, int d)
    {
        Array.Clear(l);
        for (var j = 0; j < d; j++)
        {
            var diagonal = a[j * d + j];
            for (var m = 0; m < j; m++) diagonal -= l[j * d + m] * l[j * d + m];
            if (!(diagonal > 0) || !double.IsFinite(diagonal)) return false;
            var ljj = Math.Sqrt(diagonal);
            l[j * d + j] = ljj;
            for (var i = j + 1; i < d; i++)
            {
                var sum = a[i * d + j];
                for (var m = 0; m < j; m++) sum -= l[i * d + m] * l[j * d + m];
                l[i * d + j] = sum / ljj;
            }
        }
        return true;
    }

    /// <summary>(LLᵀ)⁻¹ column by column: forward then back substitution of each unit vector.</summary>
    private static void Invert(double[] l, Span<double> inverse, double[] column, int d)
    {
        for (var c = 0; c < d; c++)
        {
            for (var i = 0; i < d; i++)
            {
                var sum = i == c ? 1.0 : 0.0;
                for (var m = 0; m < i; m++) sum -= l[i * d + m] * column[m];
                column[i] = sum / l[i * d + i];
            }
            for (var i = d - 1; i >= 0; i--)
            {
                var sum = column[i];
                for (var m = i + 1; m < d; m++) sum -= l[m * d + i] * column[m];
                column[i] = sum / l[i * d + i];
            }
            for (var i = 0; i < d; i++) inverse[i * d + c] = column[i];
        }
        // Exactly symmetric, so that E[zzᵀ] and the next Cholesky see one matrix.
        for (var i = 0; i < d; i++)
        {
            for (var j = i + 1; j < d; j++)
            {
                var v = 0.5 * (inverse[i * d + j] + inverse[j * d + i]);
                inverse[i * d + j] = v;
                inverse[j * d + i] = v;
            }
        }
    }
}
