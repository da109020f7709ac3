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
    /// A side's population prior from its rows' sums, the normal–inverse-Wishart MAP: m₀ = Σm/(N + κ₀) and
    /// Σ₀ = (Ψ₀ + κ₀m₀m₀ᵀ + Σ E[(z − m₀)(z − m₀)ᵀ])/(N + ν₀ + D + 2), with Ψ₀ = 2b₀·I and ν₀ = 2a₀.
    /// </summary>
    public static GaussianPopulation Population(GaussianSideSums sums, GaussianPriors priors)
    {
        var d = sums.Sum.Length;
        var n = (double)sums.Rows;
        var kappa = priors.MeanPseudoRows;
        var mean = new double[d];
        for (var j = 0; j < d; j++) mean[j] = sums.Sum[j] / (n + kappa);
        var covariance = new double[d * d];
        var scale = 1.0 / (n + 2 * priors.VarianceShape + d + 2);
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++)
            {
                var spread = sums.SumOuter[j * d + l] - mean[j] * sums.Sum[l] - sums.Sum[j] * mean[l] + n * mean[j] * mean[l];
                var psi = j == l ? 2 * priors.VarianceScale : 0;
                covariance[j * d + l] = (psi + kappa * mean[j] * mean[l] + spread) * scale;
            }
        }
        for (var j = 0; j < d; j++)
        {
            for (var l = j + 1; l < d; l++)
            {
                var v = 0.5 * (covariance[j * d + l] + covariance[l * d + j]);
                covariance[j * d + l] = v;
                covariance[l * d + j] = v;
            }
        }
        return new GaussianPopulation(mean, covariance);
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

    /// <summary>Σ over a side's rows of KL(N(m, Σ) ‖ N(m₀, Σ₀)), from the side's sums.</summary>
    public static double Divergence(GaussianSideSums sums, GaussianPopulation prior)
    {
        var d = sums.Sum.Length;
        var n = (double)sums.Rows;
        var (precision, logDet) = Inverse(prior.Covariance, d);
        double trace = 0;
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++)
            {
                var spread = sums.SumOuter[j * d + l] - prior.Mean[j] * sums.Sum[l] - sums.Sum[j] * prior.Mean[l] + n * prior.Mean[j] * prior.Mean[l];
                trace += precision[l * d + j] * spread;
            }
        }
        return 0.5 * (trace + n * logDet - n * d - sums.LogDetSum);
    }

    /// <summary>log N(m₀; 0, Σ₀/κ₀) + log IW(Σ₀; Ψ₀ = 2b₀I, ν₀ = 2a₀), up to a constant that no update changes.</summary>
    private static double LogHyperprior(GaussianPopulation population, GaussianPriors priors)
    {
        var d = population.Mean.Length;
        var kappa = priors.MeanPseudoRows;
        var (precision, logDet) = Inverse(population.Covariance, d);
        double quadratic = 0, trace = 0;
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++) quadratic += population.Mean[j] * precision[j * d + l] * population.Mean[l];
            trace += precision[j * d + j];
        }
        return -0.5 * (logDet - d * Math.Log(kappa)) - 0.5 * kappa * quadratic
            - 0.5 * (2 * priors.VarianceShape + d + 1) * logDet - priors.VarianceScale * trace;
    }

    /// <summary>Σ⁻¹ and log det Σ of a population covariance.</summary>
    private static (double[] Precision, double LogDet) Inverse(double[] covariance, int d)
    {
        var precision = new double[d * d];
        if (!GaussianRowUpdate.TryInvert(covariance, precision, d)) return (precision, double.NaN);
        return (precision, GaussianRowUpdate.LogDeterminant(covariance, new double[d * d], d));
    }

    private static double LogInverseGamma(double x, double shape, double scale) =>
        shape * Math.Log(scale) - SpecialFunctions.LogGamma(shape) - (shape + 1) * Math.Log(x) - scale / x;
}
