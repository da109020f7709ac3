namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One side's population prior: the rows' (factors, bias) vectors are N(Mean, Covariance) a priori, D = K + 1
/// entries each, with a full D × D covariance (row-major), so that a side's factors and biases may go together.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianPopulation")]
public sealed record GaussianPopulation(double[] Mean, double[] Covariance)
{
    /// <summary>The start of training: mean 0, covariance the identity.</summary>
    public static GaussianPopulation Standard(int factors)
    {
        var d = factors + 1;
        var covariance = new double[d * d];
        for (var j = 0; j < d; j++) covariance[j * d + j] = 1;
        return new GaussianPopulation(new double[d], covariance);
    }
}

/// <summary>
/// Everything of a Gaussian model that is not a row: the global mean μ, the noise variance σ² and both sides'
/// population priors. The coordinator owns them and sends them with every half-step.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianHyperparameters")]
public sealed record GaussianHyperparameters(double Mu, double NoiseVariance, GaussianPopulation Users, GaussianPopulation Items);
