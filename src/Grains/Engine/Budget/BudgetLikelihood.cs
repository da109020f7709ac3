using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// Log-likelihoods of the budget model with plug-in means μ_us = E[x_u]·E[β_s]: each user's counts within a group are
/// multinomial given the user's total for the group, p_s = μ_us / Σ_{s'∈a} μ_us'. Log factorials included, so each
/// value is a true log-probability.
/// </summary>
public static class BudgetLikelihood
{
    /// <summary>
    /// Σ over the nonzeros of <paramref name="byUser"/> of y·log μ − Σ over the (user, group) pairs of r_ua·log(E[x_u]·B_a),
    /// plus <see cref="Constant"/>: the conditional log-likelihood of these users' counts (a shard's part, or all).
    /// The first sum is HPF's nonzero term (<see cref="PoissonLikelihood.NonzeroTerm"/>, its prefetching loop); both are
    /// taken over fixed chunks of users added in chunk order: the same value for any thread count.
    /// </summary>
    public static double Training(SparseRows byUser, SparseRows pairs, float[] userExpected, float[] counterpartExpected, double[] groupSums, int factors,
        double constant, int threads = 1)
    {
        var nonzeros = PoissonLikelihood.NonzeroTerm(byUser, userExpected, counterpartExpected, factors, members: 1, threads);
        const int chunk = 512;
        var chunks = (pairs.Rows + chunk - 1) / chunk;
        var partial = new double[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, () => new double[factors], (c, _, x) =>
        {
            double total = 0;
            var end = Math.Min(pairs.Rows, (c + 1) * chunk);
            for (var u = c * chunk; u < end; u++)
            {
                var groups = pairs.OthersOf(u);
                if (groups.Length == 0) continue;
                GroupTables.Widen(userExpected.AsSpan(u * factors, factors), x);
                var totals = pairs.CountsOf(u);
                for (var n = 0; n < groups.Length; n++)
                    total += totals[n] * Math.Log(GroupTables.Dot(x, groupSums.AsSpan(groups[n] * factors, factors)));
            }
            partial[c] = total;
            return x;
        }, _ => { });
        var sum = constant + nonzeros;
        foreach (var p in partial) sum -= p;
        return sum;
    }

    /// <summary>Σ over the pairs of log r_ua! − Σ over the nonzeros of log y!: the multinomials' constant, computed once per data set.</summary>
    public static double Constant(SparseRows byUser, SparseRows pairs)
    {
        double constant = 0;
        foreach (var y in byUser.Counts) constant -= LogFactorial.Of(y);
        foreach (var r in pairs.Counts) constant += LogFactorial.Of(r);
        return constant;
    }

    /// <summary>
    /// The held-out conditional log-likelihood: the held-out counts of each (user, group) pair are multinomial given
    /// their held-out total over all the group's items in the model. Returns the sum and the number of held-out nonzeros.
    /// </summary>
    /// <param name="userFactors">[U × K] factors whose dot product with <paramref name="itemFactors"/> is the mean (any common scale cancels).</param>
    public static (double Sum, long Count) HeldOut(HeldOutSet test, int[] itemGroup, int groups, float[] userFactors, float[] itemFactors, int factors)
    {
        var groupSums = new double[groups * factors];
        GroupTables.GroupSums(itemFactors, itemGroup, factors, groupSums);
        return HeldOut(test, itemGroup, groups, userFactors, itemFactors, groupSums, factors);
    }

    /// <summary>
    /// The same with the group sums B given: a user shard's part, whose <paramref name="itemFactors"/> are only the
    /// items its rows reach while B sums every item of each group.
    /// </summary>
    public static (double Sum, long Count) HeldOut(HeldOutSet test, int[] itemGroup, int groups, float[] userFactors, float[] itemFactors, double[] groupSums, int factors)
    {
        var totals = new Dictionary<long, double>();
        double sum = 0;
        for (var n = 0; n < test.Count; n++)
        {
            var u = test.Users[n];
            var s = test.Items[n];
            var y = test.Counts[n];
            var x = userFactors.AsSpan(u * factors, factors);
            var beta = itemFactors.AsSpan(s * factors, factors);
            double mu = 0;
            for (var k = 0; k < factors; k++) mu += (double)x[k] * beta[k];
            sum += y * Math.Log(mu) - LogFactorial.Of(y);
            var key = (long)u * groups + itemGroup[s];
            totals[key] = totals.GetValueOrDefault(key) + y;
        }
        foreach (var (key, total) in totals)
        {
            var u = (int)(key / groups);
            var a = (int)(key % groups);
            sum += LogFactorial.Of(total) - total * Math.Log(GroupTables.Dot(userFactors.AsSpan(u * factors, factors), groupSums.AsSpan(a * factors, factors)));
        }
        return (sum, test.Count);
    }
}
