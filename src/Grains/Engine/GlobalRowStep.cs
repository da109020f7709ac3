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
}
