namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One side's population prior: the rows' (factors, bias) vectors are N(Mean, diag(Variance)) a priori, D = K + 1
/// entries each; the bias's mean (the last entry) is always 0, since μ carries the overall level.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianPopulation")]
public sealed record GaussianPopulation(double[] Mean, double[] Variance)
{
    /// <summary>The start of training: mean 0, variance 1 in every entry.</summary>
    public static GaussianPopulation Standard(int factors) =>
        new(new double[factors + 1], Enumerable.Repeat(1.0, factors + 1).ToArray());
}

/// <summary>
/// Everything of a Gaussian model that is not a row: the global mean μ, the noise variance σ² and both sides'
/// population priors. The coordinator owns them and sends them with every half-step.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianHyperparameters")]
public sealed record GaussianHyperparameters(double Mu, double NoiseVariance, GaussianPopulation Users, GaussianPopulation Items);
