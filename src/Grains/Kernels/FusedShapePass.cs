using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// How many nonzeros ahead a loop that asks for one row at a time into L1 (the SVI statistics, the likelihood, the
    /// budget model's pairs) asks for it: far enough for a row from DRAM (~100 ns) to arrive while the nonzeros in
    /// between compute.
    /// </summary>
    public const int PrefetchDistance = 8;

    /// <summary>
    /// The fused loops ask for a counterpart row twice: this many nonzeros ahead into L2, then
    /// <see cref="NearPrefetchDistance"/> ahead into L1. A core keeps far more misses to L2 in flight than to L1, and at
    /// 48M nonzeros (tables of 100–250 MB) how many it keeps in flight is what bounds a pass: reading the rows alone took
    /// 1.31–1.37 s an iteration with one request 8 ahead into L1 and 0.98–1.0 s with 16–20 ahead into L2; the C loop
    /// took 1.29–1.47 s with both requests against 1.70–1.85 s.
    /// </summary>
    public const int FarPrefetchDistance = 16;

    /// <summary>The second request of a counterpart row, into L1, a few nonzeros before its use (<see cref="FarPrefetchDistance"/>).</summary>
    public const int NearPrefetchDistance = 4;

    /// <summary>
    /// A counterpart table up to this size stays in L2 between its uses, and the request into L2 would only cost
    /// instructions (about 7% of a MovieLens iteration, whose tables are 0.2–0.4 MB): such tables get the near request only.
    /// </summary>
    private const long FarPrefetchMinimumBytes = 1 << 20;

    /// <summary>
    /// How many counterpart rows after the next rows' first <see cref="FarPrefetchDistance"/> a row update asks for while
    /// its own arithmetic (E[log], exp, rates) runs and the memory would otherwise wait: at 48M nonzeros a user row has
    /// about 48 counterparts, and the loop asked for a row's only once it began.
    /// </summary>
    public const int FollowingPrefetchCount = 64;

    /// <summary>Asks for each of the rows <paramref name="others"/> into L2, unless the table stays in L2 anyway.</summary>
    public static void PrefetchFar(ReadOnlySpan<int> others, ReadOnlySpan<float> table, int rowStride)
    {
        if (!Sse.IsSupported || FarLimit(others.Length, table.Length) == 0) return;
        fixed (int* indices = others)
        fixed (float* start = table)
        {
            for (var n = 0; n < others.Length; n++)
            {
                var row = start + (nint)indices[n] * rowStride;
                for (var line = 0; line < rowStride; line += 16) Sse.Prefetch1(row + line);
            }
        }
    }

    /// <summary>How many indices at the row's start the far request may read: none for a table that stays in L2.</summary>
    internal static int FarLimit(int limit, int tableFloats) => (long)tableFloats * sizeof(float) > FarPrefetchMinimumBytes ? limit : 0;

    /// <summary>
    /// acc[k] = Σ_n (y_n / ⟨w, e_{o_n}⟩)·e_{o_n,k} for k &lt; stride, over the nonzeros whose normaliser is at
    /// least <see cref="MinNormalizer"/>. <paramref name="otherExpElog"/> is [rows × stride].
    /// </summary>
    /// <param name="scratch">stride floats, any content.</param>
    /// <returns>How many nonzeros were left out for the exact path.</returns>
    public static int Accumulate(
        ReadOnlySpan<int> others, ReadOnlySpan<float> counts, ReadOnlySpan<float> w,
        ReadOnlySpan<float> otherExpElog, int stride, Span<double> acc, Span<float> scratch, SimdWidth width) =>
        Accumulate(others, counts, w, otherExpElog, stride, 0, stride, acc, scratch, width);

    /// <summary>
    /// The same loop over one slice of the rows: each counterpart row o contributes its elements
    /// [o·rowStride + offset, o·rowStride + offset + length), so an ensemble member (<see cref="FactorMembers"/>)
    /// runs exactly as a model of its own size would.
    /// </summary>
    /// <param name="others">
    /// The row's counterparts, one per count, optionally followed by the next rows' first ones (the row update gives
    /// <see cref="FarPrefetchDistance"/> of them): those are only asked for, so that they arrive while this row's update
    /// computes.
    /// </param>
    /// <param name="w">The row's weights of the slice, length elements.</param>
    /// <param name="acc">length elements; scratch: length floats, any content.</param>
    public static int Accumulate(
        ReadOnlySpan<int> others, ReadOnlySpan<float> counts, ReadOnlySpan<float> w,
        ReadOnlySpan<float> otherExpElog, int rowStride, int offset, int length, Span<double> acc, Span<float> scratch, SimdWidth width)
    {
        if (w.Length < length || acc.Length < length || scratch.Length < length || others.Length < counts.Length)
            throw new ArgumentException("w, acc and scratch need length elements; others and counts one per nonzero");
        if (offset < 0 || offset + length > rowStride) throw new ArgumentException("the slice must lie within a row");
        fixed (int* o = others)
        fixed (float* y = counts, wp = w, table = otherExpElog, a32 = scratch)
        fixed (double* a64 = acc)
        {
            var e = table + offset;
            return width switch
            {
                SimdWidth.Bits512 when length <= 4 * Lanes512.Width => RunInRegisters512(o, y, counts.Length, others.Length, FarLimit(others.Length, otherExpElog.Length), wp, e, rowStride, length, a64),
                SimdWidth.Bits512 => Run<Lanes512>(o, y, counts.Length, wp, e, rowStride, length, a32, a64),
                SimdWidth.Bits256 => Run<Lanes256>(o, y, counts.Length, wp, e, rowStride, length, a32, a64),
                SimdWidth.Scalar => Run<ScalarLanes>(o, y, counts.Length, wp, e, rowStride, length, a32, a64),
                _ => throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first"),
            };
        }
    }

    /// <summary>
    /// Two ensemble members in one pass over the nonzeros (AVX-512, a row of at most four registers): member 0 is the
    /// first <paramref name="firstMemberStride"/> elements of each row, member 1 the rest, each normalised by its own
    /// ⟨w, e⟩. The same sums as <see cref="Accumulate(ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Span{double}, Span{float}, SimdWidth)"/>
    /// once per member, for one read of each nonzero's index, count and row instead of two.
    /// </summary>
    /// <returns>How many (nonzero, member) pairs were left out for the exact path.</returns>
    public static int AccumulateTwoMembers512(
        ReadOnlySpan<int> others, ReadOnlySpan<float> counts, ReadOnlySpan<float> w,
        ReadOnlySpan<float> otherExpElog, int stride, int firstMemberStride, Span<double> acc)
    {
        var lanes = Vector512<float>.Count;
        if (stride > 4 * lanes || stride % lanes != 0 || firstMemberStride % lanes != 0 || firstMemberStride <= 0 || firstMemberStride >= stride)
            throw new ArgumentException("two members of whole AVX-512 registers, four registers at most");
        if (w.Length < stride || acc.Length < stride || others.Length < counts.Length)
            throw new ArgumentException("w and acc need stride elements; others and counts one per nonzero");
        fixed (int* o = others)
        fixed (float* y = counts, wp = w, e = otherExpElog)
        fixed (double* a64 = acc)
        {
            return RunTwoMembersInRegisters512(o, y, counts.Length, others.Length, FarLimit(others.Length, otherExpElog.Length), wp, e, stride, firstMemberStride / lanes, a64);
        }
    }

    /// <summary>
    /// Three or four ensemble members in one pass over the nonzeros (AVX-512, each member one or two registers: up to 32
    /// factors a member, so K = 100 in 4 members of 25). Bit for bit the sums of
    /// <see cref="Accumulate(ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Span{double}, Span{float}, SimdWidth)"/>
    /// run once per member: the same dot products in the same order, the same division, and each member's float32
    /// partial sums flushed after its own 64th kept nonzero. One read of each nonzero's index and count, and one walk
    /// through the counterpart rows, instead of one per member: at 1M nonzeros K = 100 in 4 members took 2.3–2.8 times
    /// K = 50's time per iteration with a pass per member and 1.8–2.1 times with this one; the default K = 75 in 3,
    /// 1.8–2.0 and 1.4–1.65 (docs/benchmarks.md, "The cost of the defaults at scale").
    /// </summary>
    /// <param name="acc">stride elements, laid out as a weight row.</param>
    /// <returns>How many (nonzero, member) pairs were left out for the exact path.</returns>
    public static int AccumulateMembers512(
        ReadOnlySpan<int> others, ReadOnlySpan<float> counts, ReadOnlySpan<float> w,
        ReadOnlySpan<float> otherExpElog, FactorMembers members, Span<double> acc)
    {
        if (!ServesMembers512(members)) throw new ArgumentException("three or four members of one or two AVX-512 registers each");
        var stride = members.Stride;
        if (w.Length < stride || acc.Length < stride || others.Length < counts.Length)
            throw new ArgumentException("w and acc need stride elements; others and counts one per nonzero");
        fixed (int* o = others)
        fixed (float* y = counts, wp = w, e = otherExpElog)
        fixed (double* a64 = acc)
        {
            return RunMembersInRegisters512(o, y, counts.Length, others.Length, FarLimit(others.Length, otherExpElog.Length), wp, e, members, a64);
        }
    }

    /// <summary>Whether <see cref="AccumulateMembers512"/> takes this layout: 3 or 4 members of at most two AVX-512 registers each.</summary>
    public static bool ServesMembers512(FactorMembers members)
    {
        if (members.Count is < 3 or > 4) return false;
        for (var m = 0; m < members.Count; m++)
            if (members.WeightStride(m) > 2 * Vector512<float>.Count || members.WeightStride(m) % Vector512<float>.Count != 0) return false;
        return true;
    }

    /// <summary>
    /// Whether a nonzero's normaliser ⟨w, e⟩ is too small for the fast path: the same float32 sum, in
    /// the same order, as <see cref="Accumulate"/> takes, so each nonzero goes down exactly one path.
    /// </summary>
    public static bool NeedsExactPath(ReadOnlySpan<float> w, ReadOnlySpan<float> e, int stride, SimdWidth width) =>
        !(Normalizer(w, e, stride, width) >= MinNormalizer);

    /// <summary>
    /// ⟨w, e⟩ over the first <paramref name="stride"/> (a whole number of registers) weights of a row and a counterpart
    /// row, summed as <see cref="Accumulate"/> sums it: one nonzero's normaliser, for the SVI statistics.
    /// </summary>
    public static float Normalizer(ReadOnlySpan<float> w, ReadOnlySpan<float> e, int stride, SimdWidth width)
    {
        if (w.Length < stride || e.Length < stride) throw new ArgumentException("w and e need stride elements");
        fixed (float* wp = w, ep = e)
        {
            return width switch
            {
                SimdWidth.Bits512 => Lanes512.Dot(wp, ep, stride),
                SimdWidth.Bits256 => Lanes256.Dot(wp, ep, stride),
                SimdWidth.Scalar => ScalarLanes.Dot(wp, ep, stride),
                _ => throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first"),
            };
        }
    }

    /// <summary>acc[j] += c·x[j] for j &lt; <paramref name="stride"/> (a whole number of registers): a nonzero's y/⟨w, e⟩·w added to an SVI statistic.</summary>
    public static void AddScaled(float c, ReadOnlySpan<float> x, Span<float> acc, int stride, SimdWidth width)
    {
        if (x.Length < stride || acc.Length < stride) throw new ArgumentException("x and acc need stride elements");
        fixed (float* xp = x, ap = acc)
        {
            switch (width)
            {
                case SimdWidth.Bits512: Lanes512.MultiplyAdd(c, xp, ap, stride); break;
                case SimdWidth.Bits256: Lanes256.MultiplyAdd(c, xp, ap, stride); break;
                case SimdWidth.Scalar: ScalarLanes.MultiplyAdd(c, xp, ap, stride); break;
                default: throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first");
            }
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

    private static int Run<TLanes>(int* others, float* counts, int n, float* w, float* otherExpElog, int rowStride, int stride, float* acc32, double* acc64)
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
            var e = otherExpElog + (nint)others[j] * rowStride;
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

    /// <summary>
    /// The loop for K ≤ 64 (the usual case): the row's w and its four partial-sum registers stay in
    /// registers for the whole row, so each nonzero costs its own loads and FMAs only. The branches on
    /// the register count are the same for every nonzero and predicted perfectly.
    /// </summary>
    private static int RunInRegisters512(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, int rowStride, int stride, double* acc64) =>
        (stride / Vector512<float>.Count) switch
        {
            1 => RunInRegisters<Registers1>(others, counts, n, limit, farLimit, w, otherExpElog, rowStride, acc64),
            2 => RunInRegisters<Registers2>(others, counts, n, limit, farLimit, w, otherExpElog, rowStride, acc64),
            3 => RunInRegisters<Registers3>(others, counts, n, limit, farLimit, w, otherExpElog, rowStride, acc64),
            4 => RunInRegisters<Registers4>(others, counts, n, limit, farLimit, w, otherExpElog, rowStride, acc64),
            _ => throw new ArgumentException("one to four AVX-512 registers a row"),
        };

    private static int RunInRegisters<TVectors>(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, int rowStride, double* acc64)
        where TVectors : struct, IRegisterCount
    {
        var vectors = TVectors.Value;
        var stride = vectors * Vector512<float>.Count;
        var w0 = Vector512.Load(w);
        var w1 = vectors > 1 ? Vector512.Load(w + 16) : Vector512<float>.Zero;
        var w2 = vectors > 2 ? Vector512.Load(w + 32) : Vector512<float>.Zero;
        var w3 = vectors > 3 ? Vector512.Load(w + 48) : Vector512<float>.Zero;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var k = 0; k < stride; k++) acc64[k] = 0;
        var skipped = 0;
        var sinceFlush = 0;
        for (var j = 0; j < n; j++)
        {
            PrefetchRowAhead<TVectors>(others, j, limit, farLimit, otherExpElog, rowStride);
            var e = otherExpElog + (nint)others[j] * rowStride;
            var e0 = Vector512.Load(e);
            var d = e0 * w0;
            Vector512<float> e1 = default, e2 = default, e3 = default;
            if (vectors > 1)
            {
                e1 = Vector512.Load(e + 16);
                d = Vector512.FusedMultiplyAdd(e1, w1, d);
                if (vectors > 2)
                {
                    e2 = Vector512.Load(e + 32);
                    d = Vector512.FusedMultiplyAdd(e2, w2, d);
                    if (vectors > 3)
                    {
                        e3 = Vector512.Load(e + 48);
                        d = Vector512.FusedMultiplyAdd(e3, w3, d);
                    }
                }
            }
            var s = Lanes512.Sum(d);
            if (!(s >= MinNormalizer))
            {
                skipped++;
                continue;
            }
            var c = Vector512.Create(counts[j] / s);
            a0 = Vector512.FusedMultiplyAdd(c, e0, a0);
            a1 = Vector512.FusedMultiplyAdd(c, e1, a1);
            a2 = Vector512.FusedMultiplyAdd(c, e2, a2);
            a3 = Vector512.FusedMultiplyAdd(c, e3, a3);
            if (++sinceFlush == FlushEvery)
            {
                FlushRegisters(a0, a1, a2, a3, acc64, vectors);
                a0 = a1 = a2 = a3 = default;
                sinceFlush = 0;
            }
        }
        FlushRegisters(a0, a1, a2, a3, acc64, vectors);
        return skipped;
    }

    /// <summary>
    /// <see cref="RunInRegisters512"/> with the row's registers split between two members: registers [0, first) are
    /// member 0's, [first, vectors) member 1's. A member whose normaliser is too small adds nothing (its coefficient is
    /// 0) and is counted for the exact path.
    /// </summary>
    private static int RunTwoMembersInRegisters512(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, int stride, int first, double* acc64) =>
        (stride / Vector512<float>.Count, first) switch
        {
            // One copy of the loop per layout, its register counts constants: no test of them per nonzero, and the
            // prefetch of a row as many instructions as it has lines.
            (4, 2) => RunTwoMembers<Registers4, Split2>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            (4, 1) => RunTwoMembers<Registers4, Split1>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            (4, 3) => RunTwoMembers<Registers4, Split3>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            (3, 1) => RunTwoMembers<Registers3, Split1>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            (3, 2) => RunTwoMembers<Registers3, Split2>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            (2, 1) => RunTwoMembers<Registers2, Split1>(others, counts, n, limit, farLimit, w, otherExpElog, acc64),
            _ => throw new ArgumentException("two members of whole AVX-512 registers, four registers at most"),
        };

    /// <summary>A row's AVX-512 register count, or member 0's share of them, as a type the JIT compiles a loop for.</summary>
    private interface IRegisterCount { static abstract int Value { get; } }
    private readonly struct Registers1 : IRegisterCount { public static int Value => 1; }
    private readonly struct Registers2 : IRegisterCount { public static int Value => 2; }
    private readonly struct Registers3 : IRegisterCount { public static int Value => 3; }
    private readonly struct Registers4 : IRegisterCount { public static int Value => 4; }
    private readonly struct Split1 : IRegisterCount { public static int Value => 1; }
    private readonly struct Split2 : IRegisterCount { public static int Value => 2; }
    private readonly struct Split3 : IRegisterCount { public static int Value => 3; }

    private static int RunTwoMembers<TVectors, TFirst>(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, double* acc64)
        where TVectors : struct, IRegisterCount
        where TFirst : struct, IRegisterCount
    {
        var vectors = TVectors.Value;
        var first = TFirst.Value;
        var stride = vectors * Vector512<float>.Count;
        var w0 = Vector512.Load(w);
        var w1 = Vector512.Load(w + 16);
        var w2 = vectors > 2 ? Vector512.Load(w + 32) : Vector512<float>.Zero;
        var w3 = vectors > 3 ? Vector512.Load(w + 48) : Vector512<float>.Zero;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var k = 0; k < stride; k++) acc64[k] = 0;
        var minimum = Vector512.Create(MinNormalizer);
        var skipped = 0;
        var sinceFlush = 0;
        for (var j = 0; j < n; j++)
        {
            PrefetchRowAhead<TVectors>(others, j, limit, farLimit, otherExpElog, stride);
            var e = otherExpElog + (nint)others[j] * stride;
            var e0 = Vector512.Load(e);
            var e1 = Vector512.Load(e + 16);
            var e2 = vectors > 2 ? Vector512.Load(e + 32) : Vector512<float>.Zero;
            var e3 = vectors > 3 ? Vector512.Load(e + 48) : Vector512<float>.Zero;
            // Each member's dot product in the order Lanes512.Dot takes it, so NeedsExactPath agrees nonzero by nonzero.
            Vector512<float> d0, d1;
            switch (first)
            {
                case 1:
                    d0 = e0 * w0;
                    d1 = e1 * w1;
                    if (vectors > 2) d1 = Vector512.FusedMultiplyAdd(e2, w2, d1);
                    if (vectors > 3) d1 = Vector512.FusedMultiplyAdd(e3, w3, d1);
                    break;
                case 2:
                    d0 = Vector512.FusedMultiplyAdd(e1, w1, e0 * w0);
                    d1 = e2 * w2;
                    if (vectors > 3) d1 = Vector512.FusedMultiplyAdd(e3, w3, d1);
                    break;
                default:
                    d0 = Vector512.FusedMultiplyAdd(e2, w2, Vector512.FusedMultiplyAdd(e1, w1, e0 * w0));
                    d1 = e3 * w3;
                    break;
            }
            // Lanes 0–7 hold member 0's normaliser, 8–15 member 1's: one division gives both coefficients.
            var s = Lanes512.SumPairOfHalves(d0, d1);
            var c = Vector512.Create(counts[j]) / s;
            if (!Vector512.GreaterThanOrEqualAll(s, minimum))
            {
                // A member whose normaliser is too small adds nothing here and goes to the exact path.
                var kept = Vector512.GreaterThanOrEqual(s, minimum);
                var keptLanes = kept.ExtractMostSignificantBits();
                skipped += ((keptLanes & 1) == 0 ? 1 : 0) + ((keptLanes & 0x100) == 0 ? 1 : 0);
                if (keptLanes == 0) continue;
                c = Vector512.ConditionalSelect(kept, c, Vector512<float>.Zero);
            }
            var v0 = Avx512F.Shuffle4x128(c, c, 0b01_00_01_00);
            var v1 = Avx512F.Shuffle4x128(c, c, 0b11_10_11_10);
            a0 = Vector512.FusedMultiplyAdd(v0, e0, a0);
            a1 = Vector512.FusedMultiplyAdd(first > 1 ? v0 : v1, e1, a1);
            a2 = Vector512.FusedMultiplyAdd(first > 2 ? v0 : v1, e2, a2);
            a3 = Vector512.FusedMultiplyAdd(v1, e3, a3);
            if (++sinceFlush == FlushEvery)
            {
                FlushRegisters(a0, a1, a2, a3, acc64, vectors);
                a0 = a1 = a2 = a3 = default;
                sinceFlush = 0;
            }
        }
        FlushRegisters(a0, a1, a2, a3, acc64, vectors);
        return skipped;
    }

    /// <summary>
    /// <see cref="RunInRegisters512"/> for three or four members at once. Member m's registers are (xm0, xm1), xm1 unused
    /// when the member has one register; a fourth member that does not exist has a zero normaliser and never counts.
    /// Each member keeps its own flush count, as its own pass would, so the result does not depend on which path ran.
    /// </summary>
    private static int RunMembersInRegisters512(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, FactorMembers members, double* acc64)
    {
        // The defaults (K = 75 in 3 members of 25, and K = 100 in 4) give every member two registers: for them a copy of
        // the loop whose layout is constants; any other layout is read from the members.
        var uniform = true;
        for (var m = 0; m < members.Count; m++) uniform &= members.WeightStride(m) == 2 * Vector512<float>.Count;
        if (!uniform) return RunMembers<AnyLayout>(others, counts, n, limit, farLimit, w, otherExpElog, members, acc64);
        return members.Count == 4
            ? RunMembers<FourOfTwoRegisters>(others, counts, n, limit, farLimit, w, otherExpElog, members, acc64)
            : RunMembers<ThreeOfTwoRegisters>(others, counts, n, limit, farLimit, w, otherExpElog, members, acc64);
    }

    /// <summary>How the members of a row lie in its registers: constants the JIT folds, or read from the members at run time.</summary>
    private interface IMemberLayout
    {
        /// <summary>Whether every member has two registers and <see cref="Count"/> holds the number of members.</summary>
        static abstract bool Constant { get; }
        static abstract int Count { get; }
    }

    private readonly struct AnyLayout : IMemberLayout { public static bool Constant => false; public static int Count => 0; }
    private readonly struct ThreeOfTwoRegisters : IMemberLayout { public static bool Constant => true; public static int Count => 3; }
    private readonly struct FourOfTwoRegisters : IMemberLayout { public static bool Constant => true; public static int Count => 4; }

    private static int RunMembers<TLayout>(int* others, float* counts, int n, int limit, int farLimit, float* w, float* otherExpElog, FactorMembers members, double* acc64)
        where TLayout : struct, IMemberLayout
    {
        var constant = TLayout.Constant;
        var stride = constant ? TLayout.Count * 32 : members.Stride;
        var four = constant ? TLayout.Count == 4 : members.Count == 4;
        int o0 = constant ? 0 : members.WeightStart(0), o1 = constant ? 32 : members.WeightStart(1), o2 = constant ? 64 : members.WeightStart(2),
            o3 = constant ? 96 : four ? members.WeightStart(3) : 0;
        bool two0 = constant || members.WeightStride(0) > 16, two1 = constant || members.WeightStride(1) > 16, two2 = constant || members.WeightStride(2) > 16,
            two3 = four && (constant || members.WeightStride(3) > 16);
        var w00 = Vector512.Load(w + o0);
        var w01 = two0 ? Vector512.Load(w + o0 + 16) : Vector512<float>.Zero;
        var w10 = Vector512.Load(w + o1);
        var w11 = two1 ? Vector512.Load(w + o1 + 16) : Vector512<float>.Zero;
        var w20 = Vector512.Load(w + o2);
        var w21 = two2 ? Vector512.Load(w + o2 + 16) : Vector512<float>.Zero;
        var w30 = four ? Vector512.Load(w + o3) : Vector512<float>.Zero;
        var w31 = two3 ? Vector512.Load(w + o3 + 16) : Vector512<float>.Zero;
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        for (var k = 0; k < stride; k++) acc64[k] = 0;
        var minimum = Vector512.Create(MinNormalizer);
        // Lanes 8–15 of the second pair hold a missing fourth member: never kept, never counted.
        var present = four ? 0xFFFFu : 0x00FFu;
        var skipped = 0;
        int since0 = 0, since1 = 0, since2 = 0, since3 = 0;
        for (var j = 0; j < n; j++)
        {
            PrefetchAhead(others, j, limit, farLimit, otherExpElog, stride, stride, startsInsideLines: false);
            var e = otherExpElog + (nint)others[j] * stride;
            var e00 = Vector512.Load(e + o0);
            var e01 = two0 ? Vector512.Load(e + o0 + 16) : Vector512<float>.Zero;
            var e10 = Vector512.Load(e + o1);
            var e11 = two1 ? Vector512.Load(e + o1 + 16) : Vector512<float>.Zero;
            var e20 = Vector512.Load(e + o2);
            var e21 = two2 ? Vector512.Load(e + o2 + 16) : Vector512<float>.Zero;
            var e30 = four ? Vector512.Load(e + o3) : Vector512<float>.Zero;
            var e31 = two3 ? Vector512.Load(e + o3 + 16) : Vector512<float>.Zero;
            // Each member's dot product in the order its own pass takes it (first register, then the second's FMA).
            var d0 = e00 * w00;
            if (two0) d0 = Vector512.FusedMultiplyAdd(e01, w01, d0);
            var d1 = e10 * w10;
            if (two1) d1 = Vector512.FusedMultiplyAdd(e11, w11, d1);
            var d2 = e20 * w20;
            if (two2) d2 = Vector512.FusedMultiplyAdd(e21, w21, d2);
            var d3 = e30 * w30;
            if (two3) d3 = Vector512.FusedMultiplyAdd(e31, w31, d3);
            var s01 = Lanes512.SumPairOfHalves(d0, d1);
            var s23 = Lanes512.SumPairOfHalves(d2, d3);
            var y = Vector512.Create(counts[j]);
            var c01 = y / s01;
            var c23 = y / s23;
            var kept = (uint)Vector512.GreaterThanOrEqual(s01, minimum).ExtractMostSignificantBits()
                | ((uint)Vector512.GreaterThanOrEqual(s23, minimum).ExtractMostSignificantBits() & present) << 16;
            if (kept != (present << 16 | 0xFFFFu))
            {
                // A member whose normaliser is too small adds nothing and goes to the exact path, as in its own pass.
                skipped += ((kept & 1) == 0 ? 1 : 0) + ((kept & 0x100) == 0 ? 1 : 0) + ((kept & 0x10000) == 0 ? 1 : 0) + (four && (kept & 0x1000000) == 0 ? 1 : 0);
                if ((kept & 0xFFFF) != 0xFFFF) c01 = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(s01, minimum), c01, Vector512<float>.Zero);
                if (kept >> 16 != present) c23 = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(s23, minimum), c23, Vector512<float>.Zero);
            }
            var v0 = Avx512F.Shuffle4x128(c01, c01, 0b01_00_01_00);
            var v1 = Avx512F.Shuffle4x128(c01, c01, 0b11_10_11_10);
            var v2 = Avx512F.Shuffle4x128(c23, c23, 0b01_00_01_00);
            var v3 = Avx512F.Shuffle4x128(c23, c23, 0b11_10_11_10);
            // A member left out adds 0·e to its partial sums, which leaves them as they were.
            a00 = Vector512.FusedMultiplyAdd(v0, e00, a00);
            a01 = Vector512.FusedMultiplyAdd(v0, e01, a01);
            a10 = Vector512.FusedMultiplyAdd(v1, e10, a10);
            a11 = Vector512.FusedMultiplyAdd(v1, e11, a11);
            a20 = Vector512.FusedMultiplyAdd(v2, e20, a20);
            a21 = Vector512.FusedMultiplyAdd(v2, e21, a21);
            a30 = Vector512.FusedMultiplyAdd(v3, e30, a30);
            a31 = Vector512.FusedMultiplyAdd(v3, e31, a31);
            if ((kept & 1) != 0 && ++since0 == FlushEvery)
            {
                FlushMember(a00, a01, acc64 + o0, two0);
                a00 = a01 = default;
                since0 = 0;
            }
            if ((kept & 0x100) != 0 && ++since1 == FlushEvery)
            {
                FlushMember(a10, a11, acc64 + o1, two1);
                a10 = a11 = default;
                since1 = 0;
            }
            if ((kept & 0x10000) != 0 && ++since2 == FlushEvery)
            {
                FlushMember(a20, a21, acc64 + o2, two2);
                a20 = a21 = default;
                since2 = 0;
            }
            if ((kept & 0x1000000) != 0 && ++since3 == FlushEvery)
            {
                FlushMember(a30, a31, acc64 + o3, two3);
                a30 = a31 = default;
                since3 = 0;
            }
        }
        FlushMember(a00, a01, acc64 + o0, two0);
        FlushMember(a10, a11, acc64 + o1, two1);
        FlushMember(a20, a21, acc64 + o2, two2);
        if (four) FlushMember(a30, a31, acc64 + o3, two3);
        return skipped;
    }

    private static void FlushMember(Vector512<float> first, Vector512<float> second, double* acc64, bool two)
    {
        AddWidened(first, acc64);
        if (two) AddWidened(second, acc64 + 16);
    }

    /// <summary>
    /// Asks for row <paramref name="row"/> of a weight table (rows of <paramref name="stride"/> floats, a whole number of
    /// registers, the table on a cache line): for loops outside this class that walk rows scattered over a table larger
    /// than the caches, such as the SVI statistics, a few nonzeros ahead of use (<see cref="PrefetchDistance"/>).
    /// </summary>
    public static void PrefetchRow(ReadOnlySpan<float> table, int row, int stride)
    {
        if (!Sse.IsSupported) return;
        if ((uint)row >= (uint)(table.Length / stride)) throw new ArgumentOutOfRangeException(nameof(row));
        fixed (float* start = table)
        {
            var ahead = start + (nint)row * stride;
            for (var line = 0; line < stride; line += 16) Sse.Prefetch0(ahead + line);
        }
    }

    /// <summary><see cref="PrefetchAhead"/> for a row of <typeparamref name="TVectors"/> registers: one instruction a line.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRowAhead<TVectors>(int* others, int j, int limit, int farLimit, float* table, int rowStride)
        where TVectors : struct, IRegisterCount
    {
        if (j + FarPrefetchDistance < farLimit)
        {
            var far = table + (nint)others[j + FarPrefetchDistance] * rowStride;
            Sse.Prefetch1(far);
            if (TVectors.Value > 1) Sse.Prefetch1(far + 16);
            if (TVectors.Value > 2) Sse.Prefetch1(far + 32);
            if (TVectors.Value > 3) Sse.Prefetch1(far + 48);
        }
        if (j + NearPrefetchDistance >= limit) return;
        var near = table + (nint)others[j + NearPrefetchDistance] * rowStride;
        Sse.Prefetch0(near);
        if (TVectors.Value > 1) Sse.Prefetch0(near + 16);
        if (TVectors.Value > 2) Sse.Prefetch0(near + 32);
        if (TVectors.Value > 3) Sse.Prefetch0(near + 48);
    }

    /// <summary>
    /// The counterpart rows are scattered over the other side's table (larger than L2 from ~10k rows): ask for the row
    /// a few nonzeros ahead while this one computes. <paramref name="limit"/> counts the indices that may be read at
    /// <paramref name="others"/>: the row's own and those of the next rows given with them, so that the next row's first
    /// counterpart rows arrive while this row's update computes. One request per 16 floats of the row's
    /// <paramref name="length"/> from its start, which for a row of whole registers on a cache line (the weight tables)
    /// is one line per register. A row that may start inside a line (<paramref name="startsInsideLines"/>, E[x] rows of
    /// K floats) also asks for its last float's line, which those requests miss when the row ends in a line of its own;
    /// asking one register past its end instead would fetch a line the row never reads, a quarter more lines at K = 50.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchAhead(int* others, int j, int limit, int farLimit, float* table, int rowStride, int length, bool startsInsideLines)
    {
        if (j + FarPrefetchDistance < farLimit)
        {
            var far = table + (nint)others[j + FarPrefetchDistance] * rowStride;
            for (var line = 0; line < length; line += 16) Sse.Prefetch1(far + line);
            if (startsInsideLines) Sse.Prefetch1(far + length - 1);
        }
        if (j + NearPrefetchDistance >= limit) return;
        var near = table + (nint)others[j + NearPrefetchDistance] * rowStride;
        for (var line = 0; line < length; line += 16) Sse.Prefetch0(near + line);
        if (startsInsideLines) Sse.Prefetch0(near + length - 1);
    }

    private static void FlushRegisters(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, double* acc64, int vectors)
    {
        AddWidened(a0, acc64);
        if (vectors > 1) AddWidened(a1, acc64 + 16);
        if (vectors > 2) AddWidened(a2, acc64 + 32);
        if (vectors > 3) AddWidened(a3, acc64 + 48);
    }

    private static void AddWidened(Vector512<float> partial, double* acc64)
    {
        var (lower, upper) = Vector512.Widen(partial);
        (Vector512.Load(acc64) + lower).Store(acc64);
        (Vector512.Load(acc64 + 8) + upper).Store(acc64 + 8);
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
