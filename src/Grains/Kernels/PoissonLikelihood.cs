using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// Poisson log-likelihoods with μ_ui = E[θ_u]·E[β_i] / M (HPF-MATH.md, "Objectives"; M the ensemble's members, whose
/// factors the dot product runs over, so μ is their mean), log y! included so that the value is a true
/// log-probability (≤ 0) however large the counts.
/// </summary>
public static class PoissonLikelihood
{
    /// <summary>
    /// Σ_nonzeros (y log μ − log y!) − Σ_k (Σ_u E[θ_uk])(Σ_i E[β_ik]): the log-likelihood of the whole
    /// matrix, zeros included, at the cost of the nonzeros only.
    /// </summary>
    /// <param name="userExpected">E[θ], [U × K].</param>
    /// <param name="itemExpected">E[β], [I × K].</param>
    /// <param name="userColumnSums">Σ_u E[θ_uk].</param>
    /// <param name="itemColumnSums">Σ_i E[β_ik].</param>
    public static double Training(Dataset data, float[] userExpected, float[] itemExpected,
        ReadOnlySpan<double> userColumnSums, ReadOnlySpan<double> itemColumnSums, int factors, int members, int threads = 1)
    {
        var total = NonzeroTerm(data.ByUser, userExpected, itemExpected, factors, members, threads);
        return total - data.SumLogFactorial - ZerosTerm(userColumnSums, itemColumnSums, factors, members);
    }

    /// <summary>Σ_u Σ_i μ_ui over the whole matrix, from the column sums: Σ_k (Σ_u E[θ_uk])(Σ_i E[β_ik]) / M.</summary>
    public static double ZerosTerm(ReadOnlySpan<double> userColumnSums, ReadOnlySpan<double> itemColumnSums, int factors, int members)
    {
        double zeros = 0;
        for (var k = 0; k < factors; k++) zeros += userColumnSums[k] * itemColumnSums[k];
        return zeros / members;
    }

    /// <summary>
    /// Σ over the nonzeros of <paramref name="rows"/> of y·log(E[x_r]·E[o] / M) (without log y!), where each nonzero's
    /// counterpart indexes <paramref name="otherExpected"/>: the whole training set's term, or a shard's part of it.
    /// </summary>
    public static double NonzeroTerm(SparseRows rows, float[] rowExpected, float[] otherExpected, int factors, int members, int threads = 1)
    {
        double scale = members;
        // Fixed chunks of rows, summed in chunk order: the same value whatever the thread count.
        const int chunk = 512;
        var chunks = (rows.Rows + chunk - 1) / chunk;
        var partial = new double[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, c =>
        {
            double sum = 0;
            var end = Math.Min(rows.Rows, (c + 1) * chunk);
            for (var u = c * chunk; u < end; u++)
            {
                var theta = rowExpected.AsSpan(u * factors, factors);
                var others = rows.OthersOf(u);
                var counts = rows.CountsOf(u);
                for (var n = 0; n < others.Length; n++)
                {
                    // The counterpart rows are scattered over a table far larger than the caches, as in the fused loop.
                    if (n + FusedShapePass.PrefetchDistance < others.Length) CacheLines.Prefetch(otherExpected, others[n + FusedShapePass.PrefetchDistance] * factors, factors);
                    sum += counts[n] * Math.Log(TensorPrimitives.Dot(theta, otherExpected.AsSpan(others[n] * factors, factors)) / scale);
                }
            }
            partial[c] = sum;
        });
        double total = 0;
        foreach (var p in partial) total += p;
        return total;
    }

    /// <summary>Mean over held-out nonzeros of (y log μ − μ − log y!); NaN for an empty set.</summary>
    public static double HeldOutMean(HeldOutSet set, ReadOnlySpan<float> userExpected, ReadOnlySpan<float> itemExpected, int factors, int members) =>
        set.Count == 0 ? double.NaN : HeldOutSum(set, userExpected, itemExpected, factors, members) / set.Count;

    /// <summary>Σ over held-out nonzeros of (y log μ − μ − log y!): a shard's part of the mean.</summary>
    public static double HeldOutSum(HeldOutSet set, ReadOnlySpan<float> userExpected, ReadOnlySpan<float> itemExpected, int factors, int members)
    {
        double sum = 0;
        double scale = members;
        for (var n = 0; n < set.Count; n++)
        {
            var mu = TensorPrimitives.Dot(userExpected.Slice(set.Users[n] * factors, factors), itemExpected.Slice(set.Items[n] * factors, factors)) / scale;
            sum += set.Counts[n] * Math.Log(mu) - mu;
        }
        return sum - set.SumLogFactorial;
    }
}
