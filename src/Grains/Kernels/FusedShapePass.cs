namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// The fused φ/shape loop over one row's nonzeros (a user's items, or an item's users). φ is never
/// stored: for a row with w = exp(E[log x_r] − max) and, per nonzero, e = exp(E[log o] − max) of the
/// counterpart o, φ_k = w_k·e_k / ⟨w, e⟩ (the two maxes cancel in the normalisation), so
///
///     Σ_nonzeros y·φ_k = w_k · Σ_nonzeros (y / ⟨w, e⟩)·e_k.
///
/// The loop accumulates only the right-hand sum: one dot product and one multiply-add per (nonzero, k),
/// and no exp at all, because exp(E[log]) was taken once per row when that row was last updated.
/// </summary>
public static unsafe class FusedShapePass
{
    /// <summary>
    /// Below this ⟨w, e⟩ the float32 products have lost their precision (or underflowed): such a
    /// nonzero is left out here and the caller computes it exactly (<see cref="ExactShapeContribution"/>).
    /// </summary>
    public const float MinNormalizer = 1e-30f;

    /// <summary>The float32 partial sums go to float64 after this many nonzeros, bounding their rounding.</summary>
    private const int FlushEvery = 64;

    /// <summary>
    /// acc[k] = Σ_n (y_n / ⟨w, e_{o_n}⟩)·e_{o_n,k} for k &lt; stride, over the nonzeros whose normaliser is at
    /// least <see cref="MinNormalizer"/>. <paramref name="otherExpElog"/> is [rows × stride].
    /// </summary>
    /// <param name="scratch">stride floats, any content.</param>
    /// <returns>How many nonzeros were left out for the exact path.</returns>
    public static int Accumulate(
        ReadOnlySpan<int> others, ReadOnlySpan<float> counts, ReadOnlySpan<float> w,
        ReadOnlySpan<float> otherExpElog, int stride, Span<double> acc, Span<float> scratch, SimdWidth width)
    {
        if (w.Length < stride || acc.Length < stride || scratch.Length < stride || others.Length != counts.Length)
            throw new ArgumentException("w, acc and scratch need stride elements; others and counts one per nonzero");
        fixed (int* o = others)
        fixed (float* y = counts, wp = w, e = otherExpElog, a32 = scratch)
        fixed (double* a64 = acc)
        {
            return width switch
            {
                SimdWidth.Bits512 => Run<Lanes512>(o, y, others.Length, wp, e, stride, a32, a64),
                SimdWidth.Bits256 => Run<Lanes256>(o, y, others.Length, wp, e, stride, a32, a64),
                SimdWidth.Scalar => Run<ScalarLanes>(o, y, others.Length, wp, e, stride, a32, a64),
                _ => throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first"),
            };
        }
    }

    /// <summary>
    /// Whether a nonzero's normaliser ⟨w, e⟩ is too small for the fast path: the same float32 sum, in
    /// the same order, as <see cref="Accumulate"/> takes, so each nonzero goes down exactly one path.
    /// </summary>
    public static bool NeedsExactPath(ReadOnlySpan<float> w, ReadOnlySpan<float> e, int stride, SimdWidth width)
    {
        if (w.Length < stride || e.Length < stride) throw new ArgumentException("w and e need stride elements");
        fixed (float* wp = w, ep = e)
        {
            var s = width switch
            {
                SimdWidth.Bits512 => Lanes512.Dot(wp, ep, stride),
                SimdWidth.Bits256 => Lanes256.Dot(wp, ep, stride),
                SimdWidth.Scalar => ScalarLanes.Dot(wp, ep, stride),
                _ => throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first"),
            };
            return !(s >= MinNormalizer);
        }
    }

    /// <summary>
    /// y·φ_k added to <paramref name="shapeSum"/>, with φ from E[log] directly (log-sum-exp in float64):
    /// the path for nonzeros whose exp(E[log]) products underflow.
    /// </summary>
    public static void ExactShapeContribution(ReadOnlySpan<float> elogRow, ReadOnlySpan<float> elogOther, double y, Span<double> shapeSum)
    {
        var k = elogRow.Length;
        var max = double.NegativeInfinity;
        for (var f = 0; f < k; f++) max = Math.Max(max, (double)elogRow[f] + elogOther[f]);
        double total = 0;
        for (var f = 0; f < k; f++) total += Math.Exp(elogRow[f] + (double)elogOther[f] - max);
        for (var f = 0; f < k; f++) shapeSum[f] += y * Math.Exp(elogRow[f] + (double)elogOther[f] - max) / total;
    }

    private static int Run<TLanes>(int* others, float* counts, int n, float* w, float* otherExpElog, int stride, float* acc32, double* acc64)
        where TLanes : struct, ISimdLanes
    {
        for (var k = 0; k < stride; k++)
        {
            acc32[k] = 0;
            acc64[k] = 0;
        }
        var skipped = 0;
        var sinceFlush = 0;
        for (var j = 0; j < n; j++)
        {
            var e = otherExpElog + (nint)others[j] * stride;
            var s = TLanes.Dot(w, e, stride);
            if (!(s >= MinNormalizer))
            {
                skipped++;
                continue;
            }
            TLanes.MultiplyAdd(counts[j] / s, e, acc32, stride);
            if (++sinceFlush == FlushEvery)
            {
                Flush(acc32, acc64, stride);
                sinceFlush = 0;
            }
        }
        Flush(acc32, acc64, stride);
        return skipped;
    }

    private static void Flush(float* acc32, double* acc64, int stride)
    {
        for (var k = 0; k < stride; k++)
        {
            acc64[k] += acc32[k];
            acc32[k] = 0;
        }
    }
}
