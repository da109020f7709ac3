using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// <summary>elog[k] = ψ(shape[k]) − log(rate[k]), eight lanes of float64 at a time where the machine has AVX-512.</summary>
    public static void Compute(ReadOnlySpan<float> shape, ReadOnlySpan<float> rate, Span<float> elog)
    {
        var k = shape.Length;
        if (rate.Length < k || elog.Length < k) throw new ArgumentException("rate and elog need one element per shape");
        var j = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            ref var shapes = ref MemoryMarshal.GetReference(shape);
            ref var rates = ref MemoryMarshal.GetReference(rate);
            ref var results = ref MemoryMarshal.GetReference(elog);
            for (; j + 8 <= k; j += 8) EightLanes(ref shapes, ref rates, ref results, (nuint)j);
            if (j < k && k >= 8)
            {
                // The last few factors (2 of K = 50) as the last eight, overlapping the vector before: the lanes are
                // independent, so the overlap is written again with the same values.
                EightLanes(ref shapes, ref rates, ref results, (nuint)(k - 8));
                j = k;
            }
            else if (j < k)
            {
                FewerThanEight(shape, rate, elog);
                j = k;
            }
        }
        for (; j < k; j++)
        {
            var (argument, correction) = Terms(shape[j], rate[j]);
            elog[j] = (float)(Math.Log(argument) + correction);
        }
    }

    /// <summary>
    /// exps[k] = exp(E[log x_k]) = exp(ψ(shape[k]))/rate[k] in float64, with no logarithm taken: ψ(x) = log z + c
    /// (z = x + 6 and c the correction of <see cref="Terms(Vector512{double}, Vector512{double}, out Vector512{double}, out Vector512{double})"/>),
    /// so exp(ψ(x))/r = (z/r)·exp(c). Scaled by a member's max (<see cref="ScaleToMax"/>) these are the row's weights
    /// exp(E[log] − max) with one exponential a factor, where E[log] and then its exponential took a log and an exp.
    /// </summary>
    public static void ExpOf(ReadOnlySpan<float> shape, ReadOnlySpan<float> rate, Span<double> exps)
    {
        var k = shape.Length;
        if (rate.Length < k || exps.Length < k) throw new ArgumentException("rate and exps need one element per shape");
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && k >= 8)
        {
            ref var shapes = ref MemoryMarshal.GetReference(shape);
            ref var rates = ref MemoryMarshal.GetReference(rate);
            ref var results = ref MemoryMarshal.GetReference(exps);
            var j = 0;
            for (; j + 8 <= k; j += 8) EightExps(ref shapes, ref rates, ref results, (nuint)j);
            // The last few factors as the last eight, overlapping the vector before, as in Compute.
            if (j < k) EightExps(ref shapes, ref rates, ref results, (nuint)(k - 8));
            return;
        }
        for (var j = 0; j < k; j++)
        {
            var (argument, correction) = Terms(shape[j], rate[j]);
            exps[j] = argument * Math.Exp(correction);
        }
    }

    /// <summary>
    /// The smallest max <see cref="ScaleToMax"/> scales by: every weight float32 can hold (down to 1e-45 of the max) is
    /// then a normal float64 with all its digits. A member whose exponentials all lie below (shapes under about 0.002,
    /// where exp(c) underflows) is taken by way of E[log] instead.
    /// </summary>
    public const double MinScalableMax = 1e-250;

    /// <summary>
    /// dest[k] = exps[k] / max(exps), rounded to float32, and 0 in the padding up to dest's length: a member's weights
    /// exp(E[log] − max) from <see cref="ExpOf"/>. When the max is NaN or infinite the factors are NaN; when it is below
    /// <see cref="MinScalableMax"/> nothing is written.
    /// </summary>
    /// <returns>The max (NaN if any element is NaN).</returns>
    public static double ScaleToMax(ReadOnlySpan<double> exps, Span<float> dest)
    {
        var k = exps.Length;
        if (dest.Length < k) throw new ArgumentException("dest needs one element per exponential");
        double max;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && k >= 8)
        {
            ref var source = ref MemoryMarshal.GetReference(exps);
            ref var target = ref MemoryMarshal.GetReference(dest);
            var last = (nuint)(k - 8);
            var top = Vector512.LoadUnsafe(ref source, last);
            var nan = ~Vector512.Equals(top, top);
            for (nuint j = 0; j < last; j += 8)
            {
                var v = Vector512.LoadUnsafe(ref source, j);
                nan |= ~Vector512.Equals(v, v);
                top = Vector512.MaxNative(top, v);
            }
            if (nan != Vector512<double>.Zero) return NotFinite(dest[..k], double.NaN);
            var half = Vector256.MaxNative(top.GetLower(), top.GetUpper());
            var quarter = Vector128.MaxNative(half.GetLower(), half.GetUpper());
            max = Math.Max(quarter.GetElement(0), quarter.GetElement(1));
            if (double.IsInfinity(max)) return NotFinite(dest[..k], max);
            if (max < MinScalableMax) return max;
            var scale = Vector512.Create(1.0 / max);
            for (nuint j = 0; j < last; j += 8)
                Avx512F.ConvertToVector256Single(Vector512.LoadUnsafe(ref source, j) * scale).StoreUnsafe(ref target, j);
            Avx512F.ConvertToVector256Single(Vector512.LoadUnsafe(ref source, last) * scale).StoreUnsafe(ref target, last);
        }
        else
        {
            max = double.NegativeInfinity;
            foreach (var x in exps)
            {
                if (double.IsNaN(x)) return NotFinite(dest[..k], double.NaN);
                max = Math.Max(max, x);
            }
            if (double.IsInfinity(max)) return NotFinite(dest[..k], max);
            if (max < MinScalableMax) return max;
            var scale = 1.0 / max;
            for (var j = 0; j < k; j++) dest[j] = (float)(exps[j] * scale);
        }
        dest[k..].Clear();
        return max;
    }

    private static double NotFinite(Span<float> factors, double max)
    {
        factors.Fill(float.NaN);
        return max;
    }

    /// <summary>dest[k] = exp(elog[k] − max elog) for k &lt; K, and 0 in the padding up to dest's length.</summary>
    /// <returns>The max that was subtracted (NaN if any element is NaN).</returns>
    public static float ExpShifted(ReadOnlySpan<float> elog, Span<float> dest)
    {
        var k = elog.Length;
        if (dest.Length < k) throw new ArgumentException("dest needs one element per elog");
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            ExpShifted512(elog, dest, out var max);
            dest[k..].Clear();
            return max;
        }
        var rowMax = TensorPrimitives.Max(elog);
        for (var j = 0; j < k; j++) dest[j] = MathF.Exp(elog[j] - rowMax);
        dest[k..].Clear();
        return rowMax;
    }

    /// <summary>
    /// <see cref="ExpShifted"/> in whole registers: a member of 25 factors is two overlapping loads, [0, 16) and [9, 25),
    /// rather than one register and nine scalar exps (a third of a row's update at 48M nonzeros was E[log] and this).
    /// The overlap is computed twice with the same result, since every lane is on its own.
    /// </summary>
    private static void ExpShifted512(ReadOnlySpan<float> elog, Span<float> dest, out float max)
    {
        var k = elog.Length;
        var lanes = Vector512<float>.Count;
        ref var source = ref MemoryMarshal.GetReference(elog);
        ref var target = ref MemoryMarshal.GetReference(dest);
        var last = (nuint)(k - lanes);
        var top = Vector512.LoadUnsafe(ref source, last);
        var nan = ~Vector512.Equals(top, top);
        for (nuint j = 0; j < last; j += (nuint)lanes)
        {
            var v = Vector512.LoadUnsafe(ref source, j);
            nan |= ~Vector512.Equals(v, v);
            top = Vector512.MaxNative(top, v);
        }
        if (nan != Vector512<float>.Zero)
        {
            max = float.NaN;
            for (var j = 0; j < k; j++) dest[j] = float.NaN;
            return;
        }
        var m = Lanes512.Max(top);
        max = m;
        var shift = Vector512.Create(m);
        for (nuint j = 0; j < last; j += (nuint)lanes)
            Vector512.Exp(Vector512.LoadUnsafe(ref source, j) - shift).StoreUnsafe(ref target, j);
        Vector512.Exp(Vector512.LoadUnsafe(ref source, last) - shift).StoreUnsafe(ref target, last);
    }

    /// <summary>
    /// A row of fewer than eight factors as one vector padded with ones, rather than a scalar Math.Log each. A method of
    /// its own: its stackalloc in <see cref="Compute"/> made every row's E[log] take 270 ns instead of 155 (K = 50).
    /// </summary>
    private static void FewerThanEight(ReadOnlySpan<float> shape, ReadOnlySpan<float> rate, Span<float> elog)
    {
        var k = shape.Length;
        Span<float> paddedShape = stackalloc float[8];
        Span<float> paddedRate = stackalloc float[8];
        Span<float> paddedResult = stackalloc float[8];
        paddedShape.Fill(1);
        paddedRate.Fill(1);
        shape.CopyTo(paddedShape);
        rate[..k].CopyTo(paddedRate);
        EightLanes(ref paddedShape[0], ref paddedRate[0], ref paddedResult[0], 0);
        paddedResult[..k].CopyTo(elog);
    }

    /// <summary>Elements [j, j + 8) of <see cref="Compute"/>: E[log] in float64, rounded to float32.</summary>
    private static void EightLanes(ref float shapes, ref float rates, ref float results, nuint j)
    {
        var x = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref shapes, j));
        var r = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref rates, j));
        Terms(x, r, out var argument, out var correction);
        Avx512F.ConvertToVector256Single(Vector512.Log(argument) + correction).StoreUnsafe(ref results, j);
    }

    /// <summary>Elements [j, j + 8) of <see cref="ExpOf"/>: (z/r)·exp(c) in float64.</summary>
    private static void EightExps(ref float shapes, ref float rates, ref double results, nuint j)
    {
        var x = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref shapes, j));
        var r = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref rates, j));
        Terms(x, r, out var argument, out var correction);
        (argument * ExpOfCorrection(correction)).StoreUnsafe(ref results, j);
    }

    /// <summary>
    /// exp(c) for the corrections of <see cref="Terms(Vector512{double}, Vector512{double}, out Vector512{double}, out Vector512{double})"/>
    /// (c &lt; 0): c = n·ln 2 + t with |t| ≤ ln 2 / 2, exp(t) by its Taylor series to t⁹ (the first term left out is
    /// below 7e-12 of the sum), times 2ⁿ. The library's Vector512.Exp of float64 took three quarters of a row's weights
    /// (a register of eight in about 23 ns). Where the machine has no AVX-512 the Vector512 operations run (slowly) in
    /// software, so its test runs everywhere, though the engine calls it only on AVX-512.
    /// </summary>
    /// <remarks>c below −1000 is taken as −1000 (its exponential is 0 either way); NaN stays NaN.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<double> ExpOfCorrection(Vector512<double> c)
    {
        c = Vector512.Max(c, Vector512.Create(-1000.0));
        var n = Vector512.Round(c * Vector512.Create(1.4426950408889634));
        // ln 2 in two parts, the first with trailing zero bits so that n times it is exact for |n| < 2¹¹.
        var t = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693147180369123816490), c);
        t = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.90821492927058770002e-10), t);
        var p = Vector512.Create(1.0 / 362880);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 40320));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 5040));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 720));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 120));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 24));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.0 / 6));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512<double>.One);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512<double>.One);
        // One scale instruction where there is AVX-512 (two multiplies and the exponent bits cost 15 ns more a row).
        if (Avx512F.IsSupported) return Avx512F.Scale(p, n);
        // 2ⁿ as two normal powers of two (n ≥ −1443 halves to ≥ −722): p times the first is exact, times the second
        // rounds once, to a subnormal or 0 where exp(c) is one.
        var first = Vector512.Floor(n * 0.5);
        return p * PowerOfTwo(first) * PowerOfTwo(n - first);
    }

    /// <summary>2^e for whole e in [−1022, 1023], built from its exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> PowerOfTwo(Vector512<double> e) =>
        Vector512.ShiftLeft(Vector512.ConvertToInt64(e) + Vector512.Create(1023L), 52).AsDouble();

    /// <summary>
    /// ψ(x) − log r = log((x+6)/r) + correction, where correction = −1/(2z) − series(1/z) − Q'(x)/Q(x), z = x + 6.
    /// One division per lane: d = 1/(z·Q) gives both 1/z = Q·d and Q'/Q = Q'·z·d.
    /// </summary>
    /// <remarks>
    /// Inlined (at its calls, <see cref="EightLanes"/> and <see cref="EightExps"/>), with its two results as out parameters: returned as a tuple of
    /// two registers it was a call whose results went through memory, and a row of 50 took 210 ns against 155 ns now.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Terms(Vector512<double> x, Vector512<double> rate, out Vector512<double> logArgument, out Vector512<double> correction)
    {
        var q = Vector512<double>.One;
        var dq = Vector512<double>.Zero;
        var t = x;
        for (var i = 0; i < 6; i++)
        {
            dq = dq * t + q;
            q *= t;
            t += Vector512<double>.One;
        }
        var z = t;
        var d = Vector512<double>.One / (z * q);
        var invZ = q * d;
        var sumReciprocals = dq * z * d;
        var r2 = invZ * invZ;
        var series = r2 * (Vector512.Create(1.0 / 12) - r2 * (Vector512.Create(1.0 / 120) - r2 * (Vector512.Create(1.0 / 252) - r2 * (Vector512.Create(1.0 / 240) - r2 * Vector512.Create(1.0 / 132)))));
        logArgument = z / rate;
        correction = -0.5 * invZ - series - sumReciprocals;
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
