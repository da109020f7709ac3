using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Engine.Gaussian;

/// <summary>Ratings drawn from the hierarchical Gaussian model itself, with the truth kept for recovery checks.</summary>
public static class GaussianSamples
{
    public sealed record Sample(Dataset Train, Dataset Test, double Mu, double Noise, Func<int, int, double> TrueMean, double[] UserBias);

    /// <param name="density">Chance that a (user, item) pair is rated; a fifth of the rated pairs go to the test set.</param>
    public static Sample Draw(int users, int items, int factors, double density, double noise, ulong seed)
    {
        var random = new Xoshiro256StarStar(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(random.NextDoubleNonZero())) * Math.Cos(2 * Math.PI * random.NextDouble());
        const double mu = 3.5;
        var x = new double[users * factors];
        var y = new double[items * factors];
        var b = new double[users];
        var c = new double[items];
        for (var j = 0; j < x.Length; j++) x[j] = 0.3 + 0.8 * Normal();
        for (var j = 0; j < y.Length; j++) y[j] = -0.2 + 0.7 * Normal();
        for (var u = 0; u < users; u++) b[u] = 0.4 * Normal();
        for (var i = 0; i < items; i++) c[i] = 0.5 * Normal();
        double TrueMean(int u, int i)
        {
            var s = mu + b[u] + c[i];
            for (var f = 0; f < factors; f++) s += x[u * factors + f] * y[i * factors + f];
            return s;
        }
        var train = new DatasetBuilder(ratings: true);
        var test = new DatasetBuilder(ratings: true);
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() >= density) continue;
                var rating = TrueMean(u, i) + noise * Normal();
                (random.NextDouble() < 0.2 ? test : train).Add(UserId(u), ItemId(i), rating);
            }
        }
        return new Sample(train.Build(), test.Build(), mu, noise, TrueMean, b);
    }

    /// <summary>Zero-padded, so that ordinal order is numeric order and index u is user u.</summary>
    public static string UserId(int u) => $"u{u:D4}";
    public static string ItemId(int i) => $"i{i:D4}";
}
