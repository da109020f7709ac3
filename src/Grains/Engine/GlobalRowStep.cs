namespace Hpf.Cluster.Grains.Engine;

/// <summary>The SVI global step of one row (HPF-MATH.md, "SVI"), shared by the in-process schedule and the shards.</summary>
internal static class GlobalRowStep
{
    /// <summary>
    /// Moves row <paramref name="o"/> of the global side by ρ towards prior + scale·(e_o ⊙ statistic + exact) (shape),
    /// E[activity] + the local side's column sum (rate), then its activity rate; refreshes its E[x] and exp(E[log]).
    /// </summary>
    /// <param name="statistics">Σ (y/⟨w_r, e_o⟩)·w_r over the batch rows r touching o, [K or more].</param>
    /// <param name="exactSums">y·φ of the nonzeros that took the exact path, [K]; empty when there were none.</param>
    /// <returns>False when the row came out NaN or ∞.</returns>
    public static bool StepTowards(FactorSide global, int o, ReadOnlySpan<float> statistics, ReadOnlySpan<double> exactSums,
        double scale, double rho, ReadOnlySpan<double> localColumnSum, RowScratch scratch)
    {
        var k = global.K;
        var e = global.ExpElog.AsSpan(o * global.Stride, k);
        var shape = global.Shape.AsSpan(o * k, k);
        var rate = global.Rate.AsSpan(o * k, k);
        var expectedActivity = global.ActivityShape / global.ActivityRate[o];
        double expectedSum = 0;
        for (var f = 0; f < k; f++)
        {
            var targetShape = global.ShapePrior + scale * ((double)e[f] * statistics[f] + (exactSums.IsEmpty ? 0 : exactSums[f]));
            var targetRate = expectedActivity + localColumnSum[f];
            shape[f] = (float)((1 - rho) * shape[f] + rho * targetShape);
            rate[f] = (float)((1 - rho) * rate[f] + rho * targetRate);
            expectedSum += (double)shape[f] / rate[f];
        }
        global.ActivityRate[o] = (float)((1 - rho) * global.ActivityRate[o] + rho * (global.ActivityPriorRate + expectedSum));
        return global.RefreshDerived(o, scratch, updateActivity: false);
    }
}
