using System.Numerics.Tensors;

namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// Scores E[θ_u]·E[β_i] over a run of items from E[β] stored factor-major [K × I], one multiply-add per
/// factor over contiguous items. Evaluation and recommendation both score this way, in the same float
/// operation order, so they rank identically.
/// </summary>
internal static class ItemScores
{
    /// <summary>E[β] [I × K] rearranged factor-major [K × I].</summary>
    public static float[] ByFactor(float[] beta, int items, int factors)
    {
        var byFactor = new float[factors * items];
        for (var i = 0; i < items; i++)
            for (var f = 0; f < factors; f++) byFactor[f * items + i] = beta[i * factors + f];
        return byFactor;
    }

    /// <summary>scores[j] = Σ_f θ[f]·β[start + j, f] for j &lt; scores.Length.</summary>
    public static void Compute(float[] betaByFactor, int items, ReadOnlySpan<float> theta, int start, Span<float> scores)
    {
        var length = scores.Length;
        TensorPrimitives.Multiply(betaByFactor.AsSpan(start, length), theta[0], scores);
        for (var f = 1; f < theta.Length; f++)
            TensorPrimitives.MultiplyAdd(betaByFactor.AsSpan(f * items + start, length), theta[f], scores, scores);
    }
}
