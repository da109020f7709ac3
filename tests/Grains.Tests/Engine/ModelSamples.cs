using Hpf.Cluster.Grains.Data;
using MathNet.Numerics.Distributions;

namespace Hpf.Cluster.Grains.Tests.Engine;

/// <summary>Small datasets drawn from the HPF generative model with MathNet's samplers (a reference independent of the project's generator).</summary>
internal static class ModelSamples
{
    public sealed record Sample(Dataset Data, double[] Theta, double[] Beta, List<(string User, string Item, double Count)> Triplets);

    public static Sample Draw(int users, int items, int factors, int seed, double a = 0.3, double aPrime = 3, double bPrime = 1, double c = 0.3, double cPrime = 3, double dPrime = 1)
    {
        var random = new Random(seed);
        var theta = new double[users * factors];
        var beta = new double[items * factors];
        for (var u = 0; u < users; u++)
        {
            var activity = Gamma.Sample(random, aPrime, aPrime / bPrime);
            for (var k = 0; k < factors; k++) theta[u * factors + k] = Gamma.Sample(random, a, activity);
        }
        for (var i = 0; i < items; i++)
        {
            var popularity = Gamma.Sample(random, cPrime, cPrime / dPrime);
            for (var k = 0; k < factors; k++) beta[i * factors + k] = Gamma.Sample(random, c, popularity);
        }
        var triplets = new List<(string, string, double)>();
        var builder = new DatasetBuilder();
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                double mu = 0;
                for (var k = 0; k < factors; k++) mu += theta[u * factors + k] * beta[i * factors + k];
                var y = Poisson.Sample(random, mu);
                if (y <= 0) continue;
                triplets.Add(($"u{u}", $"i{i}", y));
                builder.Add($"u{u}", $"i{i}", y);
            }
        }
        return new Sample(builder.Build(), theta, beta, triplets);
    }

    public static Dataset Build(IEnumerable<(string User, string Item, double Count)> triplets)
    {
        var builder = new DatasetBuilder();
        foreach (var (u, i, y) in triplets) builder.Add(u, i, y);
        return builder.Build();
    }
}
