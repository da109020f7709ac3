using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// One side of the model (users with θ and ξ, or items with β and η): its nonzeros and its variational
/// parameters, float32 row-major [row × K], and the coordinate update of one row (HPF-MATH.md,
/// "Alternating half-steps"). Users and items are the same code with the roles swapped. With several ensemble
/// members (<see cref="FactorMembers"/>) each member is updated as its own HPF model: φ normalised over its factors,
/// its own activity per row.
/// </summary>
internal sealed class FactorSide : CounterpartRows
{
    public FactorSide(string name, string[] ids, SparseRows rows, int factors, int members, SimdWidth width,
        double shapePrior, double activityPriorShape, double activityPriorRate)
    {
        Name = name;
        Ids = ids;
        Rows = rows;
        K = factors;
        Width = width;
        Members = new FactorMembers(factors, members, width);
        Stride = Members.Stride;
        ShapePrior = shapePrior;
        ActivityShape = new double[members];
        for (var m = 0; m < members; m++) ActivityShape[m] = activityPriorShape + Members.FactorCount(m) * shapePrior;
        ActivityPriorRate = activityPriorRate;
        var n = ids.Length;
        Shape = new float[n * factors];
        Rate = new float[n * factors];
        Expected = new float[n * factors];
        _expElog = new CacheLineAlignedFloats(n * Stride);
        ActivityRate = new float[n * members];
        ExactRows = new bool[n];
        ColumnSum = new double[factors];
        Blocks = new RowBlocks(rows, factors);
    }

    /// <summary>"user" or "item", for messages.</summary>
    public string Name { get; }
    public string[] Ids { get; }
    public SparseRows Rows { get; }
    public RowBlocks Blocks { get; }
    public int K { get; }
    public SimdWidth Width { get; }
    public override FactorMembers Members { get; }
    /// <summary>Row length of <see cref="ExpElog"/>: each member's factors padded to whole registers.</summary>
    public override int Stride { get; }

    /// <summary>a (users) or c (items).</summary>
    public double ShapePrior { get; }
    /// <summary>Per member, κshp = a' + K_m·a (users) or τshp = c' + K_m·c (items), K_m the member's factors: constants.</summary>
    public double[] ActivityShape { get; }
    /// <summary>a'/b' (users) or c'/d' (items).</summary>
    public double ActivityPriorRate { get; }

    public float[] Shape { get; }
    public float[] Rate { get; }
    /// <summary>E[x] = shape/rate, kept with the parameters: the column sums and the likelihood read it.</summary>
    public float[] Expected { get; }
    /// <summary>exp(E[log x] − member max), [row × Stride] laid out by <see cref="Members"/>, zero-padded: what the other side's fused loop reads.</summary>
    public override Span<float> ExpElog => _expElog.Span;
    private readonly CacheLineAlignedFloats _expElog;
    /// <summary>Rows with a weight below float32's normal range: their exact path reads E[log] itself (<see cref="CounterpartRows.LogWeightsOf"/>).</summary>
    public bool[] ExactRows { get; }
    /// <summary>κrte (users) or τrte (items), one per member: [row × members].</summary>
    public float[] ActivityRate { get; }
    /// <summary>Σ_rows E[x_rk]: B for items, T for users.</summary>
    public override double[] ColumnSum { get; }

    public int RowCount => Ids.Length;

    /// <summary>
    /// hpfrec's initialisation: shape and rate = <paramref name="initialValue"/> + 0.01·U(0,1), activity
    /// rate = <paramref name="initialActivityRate"/>; the uniforms come from the seed and the row's id. Member m draws
    /// from <see cref="MemberSeed"/>(seed, m), so member 0 of any ensemble starts as a one-member model of that seed does.
    /// </summary>
    /// <param name="threads">Rows are drawn in parallel over the row blocks: each row's values depend on the seed and its id only.</param>
    public void Initialize(ulong seed, double initialValue, double initialActivityRate, int threads = 1)
    {
        var starts = Blocks.Starts;
        Parallel.For(0, Blocks.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            () => new RowScratch(K, Stride),
            (b, _, scratch) =>
            {
                for (var r = starts[b]; r < starts[b + 1]; r++) InitializeRow(r, seed, initialValue, initialActivityRate, scratch);
                return scratch;
            },
            _ => { });
        RecomputeColumnSums();
    }

    private void InitializeRow(int r, ulong seed, double initialValue, double initialActivityRate, RowScratch scratch)
    {
        var members = Members.Count;
        var shape = Shape.AsSpan(r * K, K);
        var rate = Rate.AsSpan(r * K, K);
        for (var m = 0; m < members; m++)
        {
            var random = new RowRandom(MemberSeed(seed, m), Name, Ids[r]);
            var memberShape = Members.FactorsOf(shape, m);
            var memberRate = Members.FactorsOf(rate, m);
            for (var k = 0; k < memberShape.Length; k++) memberShape[k] = (float)(initialValue + 0.01 * random.NextFloat());
            for (var k = 0; k < memberRate.Length; k++) memberRate[k] = (float)(initialValue + 0.01 * random.NextFloat());
            ActivityRate[r * members + m] = (float)initialActivityRate;
        }
        RefreshDerived(r, scratch, updateActivity: false);
    }

    /// <summary>The seed member m's initial values are drawn from: the job's seed for member 0, a fixed odd step on from it for the others.</summary>
    public static ulong MemberSeed(ulong seed, int member) => unchecked(seed + (ulong)member * 0x9E3779B97F4A7C15UL);

    /// <summary>
    /// Σ_rows E[x] taken as a half-step takes it: per block of rows, then the blocks in order (after initialisation,
    /// after a checkpoint is loaded, at the end of an SVI epoch), so a sum recomputed from the same parameters is
    /// the same float64 value the half-step produced.
    /// </summary>
    public void RecomputeColumnSums()
    {
        Array.Clear(ColumnSum);
        var block = new double[K];
        var starts = Blocks.Starts;
        for (var b = 0; b < Blocks.Count; b++)
        {
            Array.Clear(block);
            for (var r = starts[b]; r < starts[b + 1]; r++)
            {
                var expected = Expected.AsSpan(r * K, K);
                for (var k = 0; k < K; k++) block[k] += expected[k];
            }
            for (var k = 0; k < K; k++) ColumnSum[k] += block[k];
        }
    }

    /// <summary>
    /// The coordinate update of row r given the other side's exp(E[log]) rows and column sums:
    /// shape = prior + Σ y·φ, rate = E[activity] (from before this step) + the other side's column sum,
    /// activity rate = prior rate + Σ_k E[x]. Refreshes E[x] and exp(E[log]) for the row.
    /// </summary>
    /// <returns>False when a parameter of the row came out NaN or infinite.</returns>
    public bool UpdateRow(int r, CounterpartRows other, RowScratch scratch) => UpdateRow(r, other, scratch, other.ColumnSum);

    /// <summary>
    /// The row update with the rate's data term given per row (<paramref name="otherSums"/>, [K]) instead of the other
    /// side's column sums: the budget model's rates are sums over the row's groups (docs/maths.md, "The budget model").
    /// </summary>
    public bool UpdateRow(int r, CounterpartRows other, RowScratch scratch, ReadOnlySpan<double> otherSums)
    {
        if (r + 1 < RowCount) PrefetchOwnRow(r + 1);
        var w = ExpElog.Slice(r * Stride, Stride);
        // The next rows' first counterparts come along, to be asked for ahead of use (FusedShapePass.Accumulate).
        var others = Rows.OthersOf(r, FusedShapePass.FarPrefetchDistance);
        var counts = Rows.CountsOf(r);
        var shapeSum = scratch.ShapeSum.AsSpan(0, Stride);
        var members = Members;
        var skipped = 0;
        if (members.Count == 1)
        {
            skipped = FusedShapePass.Accumulate(others, counts, w, other.ExpElog, Stride, shapeSum, scratch.Partial, Width);
        }
        else if (members.Count == 2 && Width == SimdWidth.Bits512 && Stride <= 64)
        {
            // The default ensemble at K ≤ 64: both members in one pass over the nonzeros.
            skipped = FusedShapePass.AccumulateTwoMembers512(others, counts, w, other.ExpElog, Stride, members.WeightStride(0), shapeSum);
        }
        else if (Width == SimdWidth.Bits512 && FusedShapePass.ServesMembers512(members))
        {
            // 3 or 4 members of up to 32 factors (K = 100 in 4 members by default): one pass for all of them.
            skipped = FusedShapePass.AccumulateMembers512(others, counts, w, other.ExpElog, members, shapeSum);
        }
        else
        {
            for (var m = 0; m < members.Count; m++)
            {
                skipped += FusedShapePass.Accumulate(others, counts, members.WeightsOf(w, m), other.ExpElog, Stride,
                    members.WeightStart(m), members.WeightStride(m), members.WeightsOf(shapeSum, m), scratch.Partial, Width);
            }
        }
        // The loop asked for the next rows' first counterparts; while this row's arithmetic runs, the ones after them.
        FusedShapePass.PrefetchFar(Rows.OthersAfter(r, FusedShapePass.FarPrefetchDistance, FusedShapePass.FollowingPrefetchCount), other.ExpElog, other.Stride);
        RowArithmetic.MultiplyByWeights(shapeSum, w);
        if (skipped > 0) AddExactContributions(r, other, scratch);

        // shapeSum is laid out as the weights are: member m's factor f at WeightStart(m) + f.
        var shape = Shape.AsSpan(r * K, K);
        var rate = Rate.AsSpan(r * K, K);
        for (var m = 0; m < members.Count; m++)
        {
            var expectedActivity = ActivityShape[m] / ActivityRate[r * members.Count + m];
            var first = members.FactorStart(m);
            var count = members.FactorCount(m);
            RowArithmetic.PriorPlus(shape.Slice(first, count), ShapePrior, shapeSum.Slice(members.WeightStart(m), count));
            RowArithmetic.PriorPlus(rate.Slice(first, count), expectedActivity, otherSums.Slice(first, count));
        }
        return RefreshDerived(r, scratch);
    }

    /// <summary>
    /// Asks for the lines a row update reads and writes of its own row (weights, shape, rate, E[x], activity rates), a
    /// row ahead. The rows are walked in order, but the hardware's own prefetch of these streams does not keep up while
    /// the fused loop floods the memory with requests for counterpart rows, and each row then waited for its own lines
    /// (on a 48M-shaped job, 1.56–1.67 s an iteration against 1.56–2.16 s, faster in 10 of 12 alternating pairs).
    /// </summary>
    private void PrefetchOwnRow(int r)
    {
        CacheLines.Prefetch((ReadOnlySpan<float>)ExpElog.Slice(r * Stride, Stride));
        CacheLines.Prefetch(Shape, r * K, K);
        CacheLines.Prefetch(Rate, r * K, K);
        CacheLines.Prefetch(Expected, r * K, K);
        CacheLines.Prefetch(ActivityRate, r * Members.Count, Members.Count);
    }

    /// <summary>Recomputes E[x], the activity rate's dependence and exp(E[log]) of row r from its shape and rate.</summary>
    /// <returns>False when anything came out NaN or infinite.</returns>
    public bool RefreshDerived(int r, RowScratch scratch, bool updateActivity = true)
    {
        var shape = Shape.AsSpan(r * K, K);
        var rate = Rate.AsSpan(r * K, K);
        var expected = Expected.AsSpan(r * K, K);
        RowArithmetic.Divide(shape, rate, expected);
        var members = Members;
        var activity = ActivityRate.AsSpan(r * members.Count, members.Count);
        if (updateActivity)
        {
            if (members.Count <= 4 && members.FactorCount(0) == members.FactorCount(members.Count - 1))
            {
                // The members' chains of additions side by side (each in its own order, as below): each waits on its own
                // last add only. Equal first and last sizes mean equal sizes (they differ by at most one, the first larger).
                var count = members.Count;
                var size = members.FactorCount(0);
                double sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
                for (var f = 0; f < size; f++)
                {
                    sum0 += expected[f];
                    if (count > 1) sum1 += expected[size + f];
                    if (count > 2) sum2 += expected[2 * size + f];
                    if (count > 3) sum3 += expected[3 * size + f];
                }
                activity[0] = (float)(ActivityPriorRate + sum0);
                if (count > 1) activity[1] = (float)(ActivityPriorRate + sum1);
                if (count > 2) activity[2] = (float)(ActivityPriorRate + sum2);
                if (count > 3) activity[3] = (float)(ActivityPriorRate + sum3);
            }
            else
            {
                for (var m = 0; m < members.Count; m++)
                {
                    double sum = 0;
                    foreach (var x in members.FactorsOf(expected, m)) sum += x;
                    activity[m] = (float)(ActivityPriorRate + sum);
                }
            }
        }
        var weights = ExpElog.Slice(r * Stride, Stride);
        var finite = members.WeightsFromParameters(shape, rate, weights, scratch.Exponentials, scratch.Elog);
        ExactRows[r] = members.MinWeight(weights) < MinNormalWeight;
        // NaN and ∞ propagate into the max of E[log] and into the activity rates (sums of E[x]).
        foreach (var a in activity) finite &= float.IsFinite(a) && a > 0;
        return finite;
    }

    /// <summary>E[log x_r] from the row's current shape and rate.</summary>
    public void ExpectedLogOf(int r, Span<float> elog) =>
        ExpectedLog.Compute(Shape.AsSpan(r * K, K), Rate.AsSpan(r * K, K), elog);

    public override void LogWeightsOf(int r, Span<float> logWeights)
    {
        if (ExactRows[r]) ExpectedLogOf(r, logWeights);
        else Members.Log(ExpElog.Slice(r * Stride, Stride), logWeights);
    }

    /// <summary>
    /// One nonzero's part of an SVI global row's sufficient statistic, member by member: (y / ⟨w_r, e_o⟩)·w_r added to
    /// <paramref name="statistic"/> (laid out as a weight row), or, for a member whose products underflow, y·φ from
    /// E[log] added to <paramref name="exact"/> ([K]). Row r is this side's (just updated), row o the global side's.
    /// </summary>
    /// <returns>Whether any member took the exact path.</returns>
    public bool AddStatistic(int r, CounterpartRows global, int o, float y, Span<float> statistic, Span<double> exact, RowScratch scratch)
    {
        var members = Members;
        var w = ExpElog.Slice(r * Stride, Stride);
        var e = global.ExpElog.Slice(o * global.Stride, Stride);
        var haveLogs = false;
        for (var m = 0; m < members.Count; m++)
        {
            var wm = members.WeightsOf(w, m);
            var stride = members.WeightStride(m);
            // The padded member rows in whole registers, as the fused loop takes them (the library's kernels spent as
            // long on their set-up as on 25 factors).
            var s = FusedShapePass.Normalizer(wm, members.WeightsOf(e, m), stride, Width);
            if (s >= FusedShapePass.MinNormalizer)
            {
                FusedShapePass.AddScaled(y / s, wm, members.WeightsOf(statistic, m), stride, Width);
                continue;
            }
            if (!haveLogs)
            {
                ExpectedLogOf(r, scratch.Elog);
                global.LogWeightsOf(o, scratch.ElogOther);
                haveLogs = true;
            }
            FusedShapePass.ExactShapeContribution(members.FactorsOf(scratch.Elog.AsSpan(), m), members.FactorsOf(scratch.ElogOther.AsSpan(), m), y,
                members.FactorsOf(exact, m));
        }
        return haveLogs;
    }

    /// <summary>The nonzeros the fast loop left out (normaliser underflow), computed from E[log] directly, member by member.</summary>
    private void AddExactContributions(int r, CounterpartRows other, RowScratch scratch)
    {
        var w = ExpElog.Slice(r * Stride, Stride);
        var others = Rows.OthersOf(r);
        var counts = Rows.CountsOf(r);
        var members = Members;
        ExpectedLogOf(r, scratch.Elog);
        var elog = scratch.Elog.AsSpan();
        var elogOther = scratch.ElogOther.AsSpan();
        var shapeSum = scratch.ShapeSum.AsSpan();
        for (var n = 0; n < others.Length; n++)
        {
            var o = others[n];
            var e = other.ExpElog.Slice(o * other.Stride, Stride);
            var haveOther = false;
            for (var m = 0; m < members.Count; m++)
            {
                if (!FusedShapePass.NeedsExactPath(members.WeightsOf(w, m), members.WeightsOf(e, m), members.WeightStride(m), Width)) continue;
                if (!haveOther)
                {
                    other.LogWeightsOf(o, elogOther);
                    haveOther = true;
                }
                FusedShapePass.ExactShapeContribution(members.FactorsOf(elog, m), members.FactorsOf(elogOther, m), counts[n],
                    shapeSum.Slice(members.WeightStart(m), members.FactorCount(m)));
            }
        }
    }
}
