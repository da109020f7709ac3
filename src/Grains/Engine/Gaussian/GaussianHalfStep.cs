using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>What one half-step over a set of rows gives back: the side's sums under the new rows and the fit sums of their ratings.</summary>
public sealed record GaussianStepOutcome(GaussianSideSums Side, GaussianFitSums Fit, int FailedRow);

/// <summary>
/// Every row of one side (or of one shard of it) updated in closed form against the other side's moments, rows in
/// parallel; the sums are added in row order afterwards, so they do not depend on the threads.
/// </summary>
public static class GaussianHalfStep
{
    /// <param name="rows">The side's ratings; <see cref="SparseRows.Other"/> indexes <paramref name="counterpartMoments"/>.</param>
    /// <returns>The sums, and the first row (local index) whose update failed, or −1.</returns>
    public static GaussianStepOutcome Run(SparseRows rows, double[] counterpartMoments, GaussianRows own, GaussianPopulation prior,
        double mu, double noiseVariance, int threads, CancellationToken cancellationToken = default)
    {
        var d = own.Dimension;
        var k = own.Factors;
        var n = own.Rows;
        var fits = new double[n * 6];
        var failed = int.MaxValue;
        var precision = new GaussianRowUpdate.PriorPrecision(prior);
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            () => new GaussianRowUpdate.Scratch(d),
            (r, _, scratch) =>
            {
                var ok = GaussianRowUpdate.Update(rows.OthersOf(r), rows.CountsOf(r), counterpartMoments, k, precision, mu, noiseVariance,
                    own.Mean.AsSpan(r * d, d), own.Covariance.AsSpan(r * d * d, d * d), fits.AsSpan(r * 6, 6), scratch);
                if (!ok)
                {
                    lock (fits) failed = Math.Min(failed, r);
                }
                return scratch;
            },
            _ => { });
        if (failed != int.MaxValue) return new GaussianStepOutcome(GaussianSideSums.Zero(d), GaussianFitSums.Zero, failed);
        return new GaussianStepOutcome(own.Sums(), AddUp(fits, n), -1);
    }

    /// <summary>The fit sums of a side's ratings under the current rows, without updating them.</summary>
    public static GaussianFitSums Fit(SparseRows rows, double[] counterpartMoments, GaussianRows own)
    {
        var d = own.Dimension;
        var fits = new double[own.Rows * 6];
        var scratch = new GaussianRowUpdate.Scratch(d);
        for (var r = 0; r < own.Rows; r++)
        {
            GaussianRowUpdate.FitTerms(rows.OthersOf(r), rows.CountsOf(r), counterpartMoments, own.Factors,
                own.Mean.AsSpan(r * d, d), own.Covariance.AsSpan(r * d * d, d * d), fits.AsSpan(r * 6, 6), scratch);
        }
        return AddUp(fits, own.Rows);
    }

    private static GaussianFitSums AddUp(double[] fits, int rows)
    {
        double count = 0, r = 0, r2 = 0, s = 0, rs = 0, s2 = 0;
        for (var i = 0; i < rows; i++)
        {
            count += fits[i * 6];
            r += fits[i * 6 + 1];
            r2 += fits[i * 6 + 2];
            s += fits[i * 6 + 3];
            rs += fits[i * 6 + 4];
            s2 += fits[i * 6 + 5];
        }
        return new GaussianFitSums((long)count, r, r2, s, rs, s2);
    }
}
