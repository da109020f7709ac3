using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

internal static class CurveAssert
{
    /// <summary>
    /// Same checks at the same iterations with the same log-likelihoods, up to the order float64 sums are taken in
    /// (the engine sums the nonzeros in chunks of all users, the shards per shard): 1e-9 relative unless told otherwise.
    /// </summary>
    public static void Same(IReadOnlyList<LikelihoodPoint> expected, IReadOnlyList<LikelihoodPoint> actual, double relative = 1e-9)
    {
        Assert.Equal(expected.Select(p => p.Iteration), actual.Select(p => p.Iteration));
        for (var c = 0; c < expected.Count; c++)
        {
            Assert.Equal(expected[c].TrainLogLikelihood, actual[c].TrainLogLikelihood, relative * Math.Abs(expected[c].TrainLogLikelihood));
            Assert.Equal(expected[c].ValidationLogLikelihood.HasValue, actual[c].ValidationLogLikelihood.HasValue);
        }
    }
}
