using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// One side of the model (users with θ and ξ, or items with β and η): its nonzeros and its variational
/// parameters, float32 row-major [row × K], and the coordinate update of one row (HPF-MATH.md,
/// "Alternating half-steps"). Users and items are the same code with the roles swapped.
/// </summary>
internal sealed class FactorSide : CounterpartRows
{
    public FactorSide(string name, string[] ids, SparseRows rows, int factors, SimdWidth width,
        double shapePrior, double activityPriorShape, double activityPriorRate)
    {
        Name = name;
        Ids = ids;
        Rows = rows;
        K = factors;
        Width = width;
        Stride = SimdWidths.Stride(factors, width);
        ShapePrior = shapePrior;
        ActivityShape = activityPriorShape + factors * shapePrior;
        ActivityPriorRate = activityPriorRate;
        var n = ids.Length;
        Shape = new float[n * factors];
        Rate = new float[n * factors];
        Expected = new float[n * factors];
        ExpElog = new float[n * Stride];
        ActivityRate = new float[n];
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
    /// <summary>Row length of <see cref="ExpElog"/>: K padded to whole registers.</summary>
    public override int Stride { get; }

    /// <summary>a (users) or c (items).</summary>
    public double ShapePrior { get; }
    /// <summary>κshp = a' + K·a (users) or τshp = c' + K·c (items): a constant.</summary>
    public double ActivityShape { get; }
    /// <summary>a'/b' (users) or c'/d' (items).</summary>
    public double ActivityPriorRate { get; }

    public float[] Shape { get; }
    public float[] Rate { get; }
    /// <summary>E[x] = shape/rate, kept with the parameters: the column sums and the likelihood read it.</summary>
    public float[] Expected { get; }
    /// <summary>exp(E[log x] − row max), [row × Stride], zero-padded: what the other side's fused loop reads.</summary>
    public override float[] ExpElog { get; }
    /// <summary>Rows with a weight below float32's normal range: their exact path reads E[log] itself (<see cref="CounterpartRows.LogWeightsOf"/>).</summary>
    public bool[] ExactRows { get; }
    /// <summary>κrte (users) or τrte (items).</summary>
    public float[] ActivityRate { get; }
    /// <summary>Σ_rows E[x_rk]: B for items, T for users.</summary>
    public override double[] ColumnSum { get; }

    public int RowCount => Ids.Length;

    /// <summary>
    /// hpfrec's initialisation: shape and rate = <paramref name="initialValue"/> + 0.01·U(0,1), activity
    /// rate = <paramref name="initialActivityRate"/>; the uniforms come from the seed and the row's id.
    /// </summary>
    public void Initialize(ulong seed, double initialValue, double initialActivityRate)
    {
        var scratch = new RowScratch(K, Stride);
        for (var r = 0; r < RowCount; r++)
        {
            var random = new RowRandom(seed, Name, Ids[r]);
            var shape = Shape.AsSpan(r * K, K);
            var rate = Rate.AsSpan(r * K, K);
            for (var k = 0; k < K; k++) shape[k] = (float)(initialValue + 0.01 * random.NextFloat());
            for (var k = 0; k < K; k++) rate[k] = (float)(initialValue + 0.01 * random.NextFloat());
            ActivityRate[r] = (float)initialActivityRate;
            RefreshDerived(r, scratch, updateActivity: false);
        }
        RecomputeColumnSums();
    }

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
    public bool UpdateRow(int r, CounterpartRows other, RowScratch scratch)
    {
        var w = ExpElog.AsSpan(r * Stride, Stride);
        var others = Rows.OthersOf(r);
        var counts = Rows.CountsOf(r);
        var shapeSum = scratch.ShapeSum;
        var skipped = FusedShapePass.Accumulate(others, counts, w, other.ExpElog, Stride, shapeSum, scratch.Partial, Width);
        for (var k = 0; k < K; k++) shapeSum[k] *= w[k];
        if (skipped > 0) AddExactContributions(r, other, scratch);

        var shape = Shape.AsSpan(r * K, K);
        var rate = Rate.AsSpan(r * K, K);
        var expectedActivity = ActivityShape / ActivityRate[r];
        var otherSums = other.ColumnSum;
        for (var k = 0; k < K; k++)
        {
            shape[k] = (float)(ShapePrior + shapeSum[k]);
            rate[k] = (float)(expectedActivity + otherSums[k]);
        }
        return RefreshDerived(r, scratch);
    }

    /// <summary>Recomputes E[x], the activity rate's dependence and exp(E[log]) of row r from its shape and rate.</summary>
    /// <returns>False when anything came out NaN or infinite.</returns>
    public bool RefreshDerived(int r, RowScratch scratch, bool updateActivity = true)
    {
        var shape = Shape.AsSpan(r * K, K);
        var rate = Rate.AsSpan(r * K, K);
        var expected = Expected.AsSpan(r * K, K);
        System.Numerics.Tensors.TensorPrimitives.Divide(shape, rate, expected);
        if (updateActivity)
        {
            double sum = 0;
            for (var k = 0; k < K; k++) sum += expected[k];
            ActivityRate[r] = (float)(ActivityPriorRate + sum);
        }
        var elog = scratch.Elog.AsSpan();
        ExpectedLog.Compute(shape, rate, elog);
        var weights = ExpElog.AsSpan(r * Stride, Stride);
        var max = ExpectedLog.ExpShifted(elog, weights);
        ExactRows[r] = System.Numerics.Tensors.TensorPrimitives.Min(weights[..K]) < MinNormalWeight;
        // NaN and ∞ propagate into the max of E[log] and into the activity rate (a sum of E[x]).
        return float.IsFinite(max) && float.IsFinite(ActivityRate[r]) && ActivityRate[r] > 0;
    }

    /// <summary>E[log x_r] from the row's current shape and rate.</summary>
    public void ExpectedLogOf(int r, Span<float> elog) =>
        ExpectedLog.Compute(Shape.AsSpan(r * K, K), Rate.AsSpan(r * K, K), elog);

    public override void LogWeightsOf(int r, Span<float> logWeights)
    {
        if (ExactRows[r]) ExpectedLogOf(r, logWeights);
        else System.Numerics.Tensors.TensorPrimitives.Log(ExpElog.AsSpan(r * Stride, K), logWeights[..K]);
    }

    /// <summary>The nonzeros the fast loop left out (normaliser underflow), computed from E[log] directly.</summary>
    private void AddExactContributions(int r, CounterpartRows other, RowScratch scratch)
    {
        var w = ExpElog.AsSpan(r * Stride, Stride);
        var others = Rows.OthersOf(r);
        var counts = Rows.CountsOf(r);
        ExpectedLogOf(r, scratch.Elog);
        for (var n = 0; n < others.Length; n++)
        {
            var o = others[n];
            if (!FusedShapePass.NeedsExactPath(w, other.ExpElog.AsSpan(o * other.Stride, Stride), Stride, Width)) continue;
            other.LogWeightsOf(o, scratch.ElogOther);
            FusedShapePass.ExactShapeContribution(scratch.Elog, scratch.ElogOther, counts[n], scratch.ShapeSum);
        }
    }
}
