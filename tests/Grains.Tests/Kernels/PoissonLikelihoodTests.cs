using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Kernels;

/// <summary>The likelihood's nonzero term, Σ y·log(⟨E[θ_u], E[β_i]⟩ / M), against the same sum written out in float64.</summary>
public sealed class PoissonLikelihoodTests
{
    // Below 16 and above 64 the term takes the general loop; from 16 to 64 the AVX-512 one, whose last register overlaps.
    public static TheoryData<int> Factors => [1, 5, 15, 16, 17, 25, 32, 33, 48, 50, 63, 64, 65, 75];

    [Theory]
    [MemberData(nameof(Factors))]
    public void Nonzero_term_is_the_float64_sum(int factors)
    {
        var (rows, theta, beta) = Sample(factors, seed: factors);
        const int members = 2;

        double expected = 0;
        for (var u = 0; u < rows.Rows; u++)
        {
            var others = rows.OthersOf(u);
            var counts = rows.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                double dot = 0;
                for (var k = 0; k < factors; k++) dot += (double)theta[u * factors + k] * beta[others[n] * factors + k];
                expected += counts[n] * Math.Log(dot / members);
            }
        }

        var actual = PoissonLikelihood.NonzeroTerm(rows, theta, beta, factors, members, threads: 1);
        Assert.Equal(expected, actual, Math.Abs(expected) * 1e-6);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public void Nonzero_term_does_not_depend_on_the_thread_count(int factors)
    {
        var (rows, theta, beta) = Sample(factors, seed: 7);
        var one = PoissonLikelihood.NonzeroTerm(rows, theta, beta, factors, members: 1, threads: 1);
        var two = PoissonLikelihood.NonzeroTerm(rows, theta, beta, factors, members: 1, threads: 2);
        Assert.Equal(one, two);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public void Held_out_sum_is_the_float64_sum_whatever_the_thread_count(int factors)
    {
        var (rows, theta, beta) = Sample(factors, seed: 11);
        var set = HeldOutOf(rows);
        Assert.True(set.Count > 3 * 4096, "the set spans several of the sum's blocks");
        const int members = 2;

        double expected = 0;
        for (var n = 0; n < set.Count; n++)
        {
            double dot = 0;
            for (var k = 0; k < factors; k++) dot += (double)theta[set.Users[n] * factors + k] * beta[set.Items[n] * factors + k];
            var mu = dot / members;
            expected += set.Counts[n] * Math.Log(mu) - mu;
        }
        expected -= set.SumLogFactorial;

        var one = PoissonLikelihood.HeldOutSum(set, theta, beta, factors, members, threads: 1);
        var two = PoissonLikelihood.HeldOutSum(set, theta, beta, factors, members, threads: 2);
        Assert.Equal(expected, one, Math.Abs(expected) * 1e-6);
        Assert.Equal(one, two);
        Assert.Equal(one / set.Count, PoissonLikelihood.HeldOutMean(set, theta, beta, factors, members, threads: 2));
    }

    [Fact]
    public void Held_out_sum_refuses_a_row_outside_the_tables()
    {
        var set = new HeldOutSet([0, 3], [1, 0], [2f, 1f], unknownUsers: 0, unknownItems: 0);
        var theta = new float[3 * 4];
        var beta = new float[2 * 4];
        Array.Fill(theta, 0.5f);
        Array.Fill(beta, 0.5f);

        var error = Assert.Throws<ArgumentException>(() => PoissonLikelihood.HeldOutSum(set, theta, beta, factors: 4, members: 1));

        Assert.Contains("user row 3", error.Message);
    }

    [Fact]
    public void Held_out_mean_of_an_empty_set_is_not_a_number() =>
        Assert.True(double.IsNaN(PoissonLikelihood.HeldOutMean(new HeldOutSet([], [], [], 0, 0), new float[4], new float[4], factors: 4, members: 1)));

    /// <summary>The sample's nonzeros as a held-out set, users ascending as <see cref="HeldOutSet.Map"/> leaves them.</summary>
    private static HeldOutSet HeldOutOf(SparseRows rows)
    {
        var users = new int[rows.Nonzeros];
        for (var u = 0; u < rows.Rows; u++)
            for (var j = rows.RowStart[u]; j < rows.RowStart[u + 1]; j++) users[j] = u;
        return new HeldOutSet(users, rows.Other.ToArray(), rows.Counts.ToArray(), unknownUsers: 0, unknownItems: 0);
    }

    /// <summary>
    /// 1,300 rows (three chunks of the term's 512), of 0 to 40 nonzeros (so both fewer and more than the prefetch distance
    /// and than the eight logarithms taken at once), over 300 counterparts whose E[x] spans four orders of magnitude.
    /// </summary>
    private static (SparseRows Rows, float[] Theta, float[] Beta) Sample(int factors, int seed)
    {
        const int users = 1300, items = 300;
        var random = new Random(seed);
        var starts = new int[users + 1];
        var others = new List<int>();
        var counts = new List<float>();
        for (var u = 0; u < users; u++)
        {
            var length = random.Next(0, 41);
            var chosen = new SortedSet<int>();
            while (chosen.Count < length) chosen.Add(random.Next(items));
            foreach (var i in chosen)
            {
                others.Add(i);
                counts.Add(1 + random.Next(20));
            }
            starts[u + 1] = others.Count;
        }
        var theta = new float[users * factors];
        var beta = new float[items * factors];
        for (var j = 0; j < theta.Length; j++) theta[j] = (float)Math.Exp(random.NextDouble() * 9 - 6);
        for (var j = 0; j < beta.Length; j++) beta[j] = (float)Math.Exp(random.NextDouble() * 9 - 6);
        return (new SparseRows(starts, others.ToArray(), counts.ToArray()), theta, beta);
    }
}
