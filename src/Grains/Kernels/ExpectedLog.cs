using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// E[log x] = ψ(shape) − log(rate) for a row of Gamma factors, and the row's exp(E[log] − max).
/// Computed once per row per half-step, never per nonzero (HPF-MATH.md, "Cost").
/// </summary>
/// <remarks>
/// ψ uses the identity ψ(x) = ψ(x + 6) − Σ_{j&lt;6} 1/(x + j) for every x (not only x &lt; 6), so each lane
/// does the same work and the row vectorises; the six reciprocals are one division, Q'(x)/Q(x) with
/// Q(x) = x(x+1)…(x+5). The arithmetic is float64: near ψ's root (x ≈ 1.46) ψ is a small difference
/// of numbers near 2, which float32 would leave with no correct digits.
/// </remarks>
public static class ExpectedLog
{
    /// <summary>elog[k] = ψ(shape[k]) − log(rate[k]). <paramref name="scratch"/> needs 2·K doubles.</summary>
    public static void Compute(ReadOnlySpan<float> shape, ReadOnlySpan<float> rate, Span<float> elog, Span<double> scratch)
    {
        var k = shape.Length;
        var logArgument = scratch[..k];
        var correction = scratch.Slice(k, k);
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + Vector256<double>.Count <= k; j += Vector256<double>.Count)
            {
                var x = Vector256.Create((double)shape[j], shape[j + 1], shape[j + 2], shape[j + 3]);
                var r = Vector256.Create((double)rate[j], rate[j + 1], rate[j + 2], rate[j + 3]);
                var (argument, corr) = Terms(x, r);
                argument.CopyTo(logArgument[j..]);
                corr.CopyTo(correction[j..]);
            }
        }
        for (; j < k; j++)
        {
            var (argument, corr) = Terms(shape[j], rate[j]);
            logArgument[j] = argument;
            correction[j] = corr;
        }
        TensorPrimitives.Log(logArgument, logArgument);
        for (j = 0; j < k; j++) elog[j] = (float)(logArgument[j] + correction[j]);
    }

    /// <summary>dest[k] = exp(elog[k] − max elog) for k &lt; K, and 0 in the padding up to dest's length.</summary>
    /// <returns>The max that was subtracted.</returns>
    public static float ExpShifted(ReadOnlySpan<float> elog, Span<float> dest)
    {
        var k = elog.Length;
        var max = TensorPrimitives.Max(elog);
        TensorPrimitives.Subtract(elog, max, dest[..k]);
        TensorPrimitives.Exp(dest[..k], dest[..k]);
        dest[k..].Clear();
        return max;
    }

    /// <summary>
    /// ψ(x) − log r = log((x+6)/r) + correction, where correction = −1/(2z) − series(1/z) − Q'(x)/Q(x), z = x + 6.
    /// One division per lane: d = 1/(z·Q) gives both 1/z = Q·d and Q'/Q = Q'·z·d.
    /// </summary>
    private static (Vector256<double> LogArgument, Vector256<double> Correction) Terms(Vector256<double> x, Vector256<double> rate)
    {
        var q = Vector256<double>.One;
        var dq = Vector256<double>.Zero;
        var t = x;
        for (var i = 0; i < 6; i++)
        {
            dq = dq * t + q;
            q *= t;
            t += Vector256<double>.One;
        }
        var z = t;
        var d = Vector256<double>.One / (z * q);
        var invZ = q * d;
        var sumReciprocals = dq * z * d;
        var r2 = invZ * invZ;
        var series = r2 * (Vector256.Create(1.0 / 12) - r2 * (Vector256.Create(1.0 / 120) - r2 * (Vector256.Create(1.0 / 252) - r2 * (Vector256.Create(1.0 / 240) - r2 * Vector256.Create(1.0 / 132)))));
        return (z / rate, -0.5 * invZ - series - sumReciprocals);
    }

    private static (double LogArgument, double Correction) Terms(double x, double rate)
    {
        double q = 1, dq = 0, t = x;
        for (var i = 0; i < 6; i++)
        {
            dq = dq * t + q;
            q *= t;
            t += 1;
        }
        var z = t;
        var d = 1.0 / (z * q);
        var invZ = q * d;
        var r2 = invZ * invZ;
        var series = r2 * (1.0 / 12 - r2 * (1.0 / 120 - r2 * (1.0 / 252 - r2 * (1.0 / 240 - r2 * (1.0 / 132)))));
        return (z / rate, -0.5 * invZ - series - dq * z * d);
    }
}
