namespace Hpf.Cluster.Grains.Engine;

/// <summary>The SVI global step of one row (HPF-MATH.md, "SVI"), shared by the in-process schedule and the shards.</summary>
internal static class GlobalRowStep
{
    /// <summary>
    /// Moves row <paramref name="o"/> of the global side by ρ towards prior + scale·(e_o ⊙ statistic + exact) (shape),
    /// E[activity] + the local side's column sum (rate), then its activity rate; refreshes its E[x] and exp(E[log]).
    /// </summary>
    /// <param name="statistics">Σ (y/⟨w_r, e_o⟩)·w_r over the batch rows r touching o, laid out as a weight row
    /// (<see cref="FactorSide.Stride"/>, each member normalised on its own).</param>
    /// <param name="exactSums">y·φ of the nonzeros that took the exact path, [K]; empty when there were none.</param>
    /// <returns>False when the row came out NaN or ∞.</returns>
    public static bool StepTowards(FactorSide global, int o, ReadOnlySpan<float> statistics, ReadOnlySpan<double> exactSums,
        double scale, double rho, ReadOnlySpan<double> localColumnSum, RowScratch scratch)
    {
        var k = global.K;
        var members = global.Members;
        var e = global.ExpElog.Slice(o * global.Stride, global.Stride);
        var shape = global.Shape.AsSpan(o * k, k);
        var rate = global.Rate.AsSpan(o * k, k);
        var activity = global.ActivityRate.AsSpan(o * members.Count, members.Count);
        for (var m = 0; m < members.Count; m++)
        {
            var expectedActivity = global.ActivityShape[m] / activity[m];
            double expectedSum = 0;
            var first = members.FactorStart(m);
            var weightFirst = members.WeightStart(m);
            for (var j = 0; j < members.FactorCount(m); j++)
            {
                var f = first + j;
                var w = weightFirst + j;
                var targetShape = global.ShapePrior + scale * ((double)e[w] * statistics[w] + (exactSums.IsEmpty ? 0 : exactSums[f]));
                var targetRate = expectedActivity + localColumnSum[f];
                shape[f] = (float)((1 - rho) * shape[f] + rho * targetShape);
                rate[f] = (float)((1 - rho) * rate[f] + rho * targetRate);
                expectedSum += (double)shape[f] / rate[f];
            }
            activity[m] = (float)((1 - rho) * activity[m] + rho * (global.ActivityPriorRate + expectedSum));
        }
        return global.RefreshDerived(o, scratch, updateActivity: false);
    }

    /// <summary>
    /// Rows a chunk of <see cref="StepRows"/>: each chunk's change to the column sums is summed in row order and the
    /// chunks in chunk order, so the change does not depend on the thread count, and a step over a million rows keeps
    /// one K-vector of changes a chunk rather than one a row (400 MB for a million users at K = 50).
    /// </summary>
    public const int RowsPerChunk = 64;

    /// <summary>
    /// Steps the global rows <paramref name="rows"/> in parallel chunks with <paramref name="step"/> (given the row's
    /// position in <paramref name="rows"/> and the worker's scratch), and sums how E[x] of those rows changed into
    /// <paramref name="change"/> ([K]).
    /// </summary>
    /// <param name="chunkSums">A buffer kept by the caller, grown here when a step has more chunks than it holds.</param>
    /// <returns>The lowest row that came out NaN or ∞ (<paramref name="step"/> returned false), or −1.</returns>
    public static int StepRows(FactorSide global, IReadOnlyList<int> rows, int threads, Func<int, GlobalStepWorker, bool> step, Span<double> change,
        ref double[] chunkSums, CancellationToken cancellationToken)
    {
        var k = global.K;
        var count = rows.Count;
        var chunks = (count + RowsPerChunk - 1) / RowsPerChunk;
        if (chunkSums.Length < chunks * k) chunkSums = new double[chunks * k];
        var sums = chunkSums;
        var failed = int.MaxValue;
        Parallel.For(0, chunks,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            () => new GlobalStepWorker(k, global.Stride),
            (c, _, worker) =>
            {
                var sum = sums.AsSpan(c * k, k);
                sum.Clear();
                var end = Math.Min(count, (c + 1) * RowsPerChunk);
                for (var g = c * RowsPerChunk; g < end; g++)
                {
                    var o = rows[g];
                    var expected = global.Expected.AsSpan(o * k, k);
                    expected.CopyTo(worker.Before);
                    if (!step(g, worker))
                    {
                        lock (sums) failed = Math.Min(failed, o);
                    }
                    for (var f = 0; f < k; f++) sum[f] += (double)expected[f] - worker.Before[f];
                }
                return worker;
            },
            _ => { });
        if (failed != int.MaxValue) return failed;
        change.Clear();
        for (var c = 0; c < chunks; c++)
        {
            var sum = sums.AsSpan(c * k, k);
            for (var f = 0; f < k; f++) change[f] += sum[f];
        }
        return -1;
    }
}

/// <summary>One thread's scratch in <see cref="GlobalRowStep.StepRows"/>: the row update's, a statistic row, its exact part, E[x] before the step.</summary>
internal sealed class GlobalStepWorker(int factors, int stride)
{
    public RowScratch Scratch { get; } = new(factors, stride);
    /// <summary>Σ (y/⟨w_r, e_o⟩)·w_r of one row, laid out as a weight row.</summary>
    public float[] Statistic { get; } = new float[stride];
    /// <summary>y·φ of the row's nonzeros that took the exact path, [K].</summary>
    public double[] Exact { get; } = new double[factors];
    public float[] Before { get; } = new float[factors];
}
