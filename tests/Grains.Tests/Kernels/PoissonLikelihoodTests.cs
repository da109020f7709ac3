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
