using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// The element-wise arithmetic of a row update around the fused loop, eight float64 lanes at a time where the machine
/// has AVX-512: the loop's sums scaled by the row's weights, the new shapes and rates (prior plus data term, rounded to
/// float32), E[x] = shape/rate, and the row's E[x] added to its block's column sums. Each element is the same IEEE operation as in a loop
/// of one element at a time (float32 to float64 is exact, and the rounding to float32 is the same), so the model is
/// the same bit for bit.
/// </summary>
public static class RowArithmetic
{
    /// <summary>sums[j] *= weights[j], float64 by float32, for j &lt; sums.Length.</summary>
    public static void MultiplyByWeights(Span<double> sums, ReadOnlySpan<float> weights)
    {
        var n = sums.Length;
        if (weights.Length < n) throw new ArgumentException("weights needs one element per sum");
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var s = ref MemoryMarshal.GetReference(sums);
            ref var w = ref MemoryMarshal.GetReference(weights);
            for (; j + 16 <= n; j += 16)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref w, (nuint)j));
                (Vector512.LoadUnsafe(ref s, (nuint)j) * lower).StoreUnsafe(ref s, (nuint)j);
                (Vector512.LoadUnsafe(ref s, (nuint)j + 8) * upper).StoreUnsafe(ref s, (nuint)j + 8);
            }
        }
        for (; j < n; j++) sums[j] *= weights[j];
    }

    /// <summary>target[f] = (float)(constant + terms[f]) for f &lt; target.Length.</summary>
    public static void PriorPlus(Span<float> target, double constant, ReadOnlySpan<double> terms)
    {
        var n = target.Length;
        if (terms.Length < n) throw new ArgumentException("terms needs one element per target");
        var f = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            ref var t = ref MemoryMarshal.GetReference(target);
            ref var d = ref MemoryMarshal.GetReference(terms);
            var c = Vector512.Create(constant);
            for (; f + 8 <= n; f += 8)
                Avx512F.ConvertToVector256Single(c + Vector512.LoadUnsafe(ref d, (nuint)f)).StoreUnsafe(ref t, (nuint)f);
        }
        for (; f < n; f++) target[f] = (float)(constant + terms[f]);
    }

    /// <summary>sums[f] += row[f], float64 plus float32, for f &lt; sums.Length.</summary>
    public static void AddWidened(Span<double> sums, ReadOnlySpan<float> row)
    {
        var n = sums.Length;
        if (row.Length < n) throw new ArgumentException("row needs one element per sum");
        var f = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var s = ref MemoryMarshal.GetReference(sums);
            ref var r = ref MemoryMarshal.GetReference(row);
            for (; f + 16 <= n; f += 16)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)f));
                (Vector512.LoadUnsafe(ref s, (nuint)f) + lower).StoreUnsafe(ref s, (nuint)f);
                (Vector512.LoadUnsafe(ref s, (nuint)f + 8) + upper).StoreUnsafe(ref s, (nuint)f + 8);
            }
        }
        for (; f < n; f++) sums[f] += row[f];
    }

    /// <summary>
    /// quotient[f] = dividend[f] / divisor[f] in float32 (E[x] = shape/rate), the last register overlapping the one before
    /// (a division is correctly rounded in every lane, so the overlap is written again with the same values).
    /// </summary>
    public static void Divide(ReadOnlySpan<float> dividend, ReadOnlySpan<float> divisor, Span<float> quotient)
    {
        var n = dividend.Length;
        if (divisor.Length < n || quotient.Length < n) throw new ArgumentException("divisor and quotient need one element per dividend");
        var lanes = Vector512<float>.Count;
        if (!Vector512.IsHardwareAccelerated || n < lanes)
        {
            for (var f = 0; f < n; f++) quotient[f] = dividend[f] / divisor[f];
            return;
        }
        ref var a = ref MemoryMarshal.GetReference(dividend);
        ref var b = ref MemoryMarshal.GetReference(divisor);
        ref var q = ref MemoryMarshal.GetReference(quotient);
        for (nuint f = 0; f + (nuint)lanes <= (nuint)n; f += (nuint)lanes)
            (Vector512.LoadUnsafe(ref a, f) / Vector512.LoadUnsafe(ref b, f)).StoreUnsafe(ref q, f);
        var last = (nuint)(n - lanes);
        (Vector512.LoadUnsafe(ref a, last) / Vector512.LoadUnsafe(ref b, last)).StoreUnsafe(ref q, last);
    }
}
