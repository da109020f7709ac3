using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>
/// The closed-form updates of the Gaussian model's hyperparameters, each the exact maximiser of the bound (plus the log
/// hyperprior) with everything else held, and the bound itself (docs/maths.md, "Ratings"). The coordinator and the
/// in-process trainer run the same code on the same sums.
/// </summary>
public static class GaussianHyperUpdate
{
    /// <summary>
    /// A side's population prior from its rows' sums: for a factor, the normal–inverse-Gamma MAP
    /// m = Σm_d/(N + κ₀), v = (b₀ + ½(κ₀m² + Σ E[(z_d − m)²]))/(a₀ + 1 + (N + 1)/2); for the bias (mean 0),
    /// v = (b₀ + ½ Σ E[z²])/(a₀ + 1 + N/2).
    /// </summary>
    public static GaussianPopulation Population(GaussianSideSums sums, GaussianPriors priors)
    {
        var d = sums.Sum.Length;
        var k = d - 1;
        var n = (double)sums.Rows;
        var mean = new double[d];
        var variance = new double[d];
        for (var j = 0; j < k; j++)
        {
            var m = sums.Sum[j] / (n + priors.MeanPseudoRows);
            var spread = sums.SumSquares[j] - 2 * m * sums.Sum[j] + n * m * m;
            mean[j] = m;
            variance[j] = (priors.VarianceScale + 0.5 * (priors.MeanPseudoRows * m * m + spread)) / (priors.VarianceShape + 1 + 0.5 * (n + 1));
        }
        variance[k] = (priors.VarianceScale + 0.5 * sums.SumSquares[k]) / (priors.VarianceShape + 1 + 0.5 * n);
        return new GaussianPopulation(mean, variance);
    }

    /// <summary>μ = (Σr − ΣE[s])/N (flat prior), then σ² = (b + ½ΣE[(r − μ − s)²])/(a + 1 + N/2).</summary>
    public static (double Mu, double NoiseVariance) Noise(GaussianFitSums fit, GaussianPriors priors)
    {
        var mu = (fit.Rating - fit.Expected) / fit.Count;
        var error = Math.Max(0, fit.SquaredError(mu));
        var variance = (priors.NoiseScale + 0.5 * error) / (priors.NoiseShape + 1 + 0.5 * fit.Count);
        return (mu, variance);
    }

    /// <summary>
    /// The bound: E_q[log p(r | rows, μ, σ²)] − KL(q(users) ‖ prior) − KL(q(items) ‖ prior) + log p(hyperparameters).
    /// </summary>
    public static double Bound(GaussianFitSums fit, GaussianSideSums users, GaussianSideSums items, GaussianHyperparameters h, GaussianPriors priors)
    {
        var likelihood = -0.5 * fit.Count * Math.Log(2 * Math.PI * h.NoiseVariance) - fit.SquaredError(h.Mu) / (2 * h.NoiseVariance);
        return likelihood - Divergence(users, h.Users) - Divergence(items, h.Items)
            + LogHyperprior(h.Users, priors) + LogHyperprior(h.Items, priors)
            + LogInverseGamma(h.NoiseVariance, priors.NoiseShape, priors.NoiseScale);
    }

    /// <summary>Σ over a side's rows of KL(N(m, Σ) ‖ N(m₀, diag v)), from the side's sums.</summary>
    public static double Divergence(GaussianSideSums sums, GaussianPopulation prior)
    {
        var d = sums.Sum.Length;
        var n = (double)sums.Rows;
        double total = 0;
        for (var j = 0; j < d; j++)
        {
            var m0 = prior.Mean[j];
            var spread = sums.SumSquares[j] - 2 * m0 * sums.Sum[j] + n * m0 * m0;
            total += spread / prior.Variance[j] + n * Math.Log(prior.Variance[j]);
        }
        return 0.5 * (total - n * d - sums.LogDetSum);
    }

    private static double LogHyperprior(GaussianPopulation population, GaussianPriors priors)
    {
        var d = population.Mean.Length;
        double total = 0;
        for (var j = 0; j < d; j++)
        {
            var v = population.Variance[j];
            total += LogInverseGamma(v, priors.VarianceShape, priors.VarianceScale);
            if (j < d - 1)
            {
                var m = population.Mean[j];
                total += -0.5 * Math.Log(2 * Math.PI * v / priors.MeanPseudoRows) - priors.MeanPseudoRows * m * m / (2 * v);
            }
        }
        return total;
    }

    private static double LogInverseGamma(double x, double shape, double scale) =>
        shape * Math.Log(scale) - SpecialFunctions.LogGamma(shape) - (shape + 1) * Math.Log(x) - scale / x;
}
