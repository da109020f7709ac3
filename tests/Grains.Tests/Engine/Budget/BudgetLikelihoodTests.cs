using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Budget;

namespace Hpf.Cluster.Grains.Tests.Engine.Budget;

/// <summary>The budget model's likelihood and per-group table kernels against float64 written out the long way.</summary>
public sealed class BudgetLikelihoodTests
{
    [Theory]
    [InlineData(3, 1)]
    [InlineData(10, 2)]
    [InlineData(50, 2)]
    public void Training_likelihood_is_the_sum_of_the_multinomials_of_each_played_group(int factors, int threads)
    {
        const int users = 700, items = 40, groups = 7;
        var random = new Random(factors);
        var itemGroup = Enumerable.Range(0, items).Select(s => s % groups).ToArray();
        var start = new int[users + 1];
        var others = new List<int>();
        var counts = new List<float>();
        for (var u = 0; u < users; u++)
        {
            foreach (var s in Enumerable.Range(0, items).Where(_ => random.NextDouble() < 0.15))
            {
                others.Add(s);
                counts.Add(1 + random.Next(20));
            }
            start[u + 1] = others.Count;
        }
        var byUser = new SparseRows(start, [.. others], [.. counts]);
        var x = Enumerable.Range(0, users * factors).Select(_ => (float)(0.05 + random.NextDouble())).ToArray();
        var beta = Enumerable.Range(0, items * factors).Select(_ => (float)(0.05 + random.NextDouble())).ToArray();
        var pairs = GroupTables.UserGroupPairs(byUser, itemGroup);
        var groupSums = new double[groups * factors];
        GroupTables.GroupSums(beta, itemGroup, factors, groupSums);

        var actual = BudgetLikelihood.Training(byUser, pairs, x, beta, groupSums, factors, BudgetLikelihood.Constant(byUser, pairs), threads);

        // Per user and played group: log r_ua! − Σ_s log r_us! + Σ_s r_us·log(μ_us / Σ_{s'∈a} μ_us'), the sum over every item of the group.
        double Mu(int u, int s) => Enumerable.Range(0, factors).Sum(k => (double)x[u * factors + k] * beta[s * factors + k]);
        double expected = 0;
        for (var u = 0; u < users; u++)
        {
            var row = Enumerable.Range(start[u], start[u + 1] - start[u]).Select(n => (Item: others[n], Count: (double)counts[n])).ToArray();
            foreach (var group in row.GroupBy(nz => itemGroup[nz.Item]))
            {
                var z = Enumerable.Range(0, items).Where(s => itemGroup[s] == group.Key).Sum(s => Mu(u, s));
                expected += LogFactorial(group.Sum(nz => nz.Count));
                foreach (var (item, count) in group) expected += count * Math.Log(Mu(u, item) / z) - LogFactorial(count);
            }
        }
        Assert.True(expected < 0);
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected), $"{actual:R} against {expected:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(50)]
    public void Table_kernels_match_float64_loops(int factors)
    {
        var random = new Random(factors);
        var row = Enumerable.Range(0, factors).Select(_ => (float)random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, factors).Select(_ => random.NextDouble()).ToArray();
        var x = new double[factors + 2];
        x[^1] = x[^2] = double.NaN;
        GroupTables.Widen(row, x);
        Assert.Equal(row.Select(v => (double)v), x.Take(factors));
        Assert.True(double.IsNaN(x[^1]) && double.IsNaN(x[^2]), "nothing is written past the row");

        var dot = Enumerable.Range(0, factors).Sum(k => x[k] * b[k]);
        Assert.Equal(dot, GroupTables.Dot(x.AsSpan(0, factors), b), 1e-12 * Math.Max(1, dot));

        var acc = Enumerable.Range(0, factors).Select(_ => random.NextDouble()).ToArray();
        var expected = acc.Select((a, k) => a + 0.37 * b[k]).ToArray();
        GroupTables.AddScaled(b, 0.37, acc);
        for (var k = 0; k < factors; k++) Assert.Equal(expected[k], acc[k], 1e-14);
    }

    private static double LogFactorial(double n) => Enumerable.Range(1, (int)n).Sum(j => Math.Log(j));
}
