using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// The other side's rows as a row update reads them: the weights exp(E[log] − row max) for the fused loop, their
/// logarithms for the rare nonzeros that take the exact path, and the column sums over all of that side's rows. In
/// process this is the other <see cref="FactorSide"/> itself; in a shard it is the rows gathered from the other
/// side's shards, which ship the weights (no exponential is taken twice) and exact E[log] only where it is needed.
/// </summary>
internal abstract class CounterpartRows
{
    /// <summary>exp(E[log x] − row max), [rows × <see cref="Stride"/>], zero-padded, starting on a cache line.</summary>
    public abstract Span<float> ExpElog { get; }

    /// <summary>Row length of <see cref="ExpElog"/>.</summary>
    public abstract int Stride { get; }

    /// <summary>How a row splits into the ensemble's members, in parameters and in weights.</summary>
    public abstract FactorMembers Members { get; }

    /// <summary>Σ E[x_k] over every row of the other side (not only these): B for a user update, T for an item one.</summary>
    public abstract double[] ColumnSum { get; }

    /// <summary>
    /// E[log x] of row <paramref name="row"/> up to a constant of the row, which the exact path's normalisation
    /// cancels: the logarithms of its weights, or, for a row with a weight below float32's normal range (whose
    /// logarithm has lost precision, or is −∞), its E[log] itself.
    /// </summary>
    public abstract void LogWeightsOf(int row, Span<float> logWeights);

    /// <summary>The smallest normal float32: weights below it are denormal or zero and their logarithm is not to be trusted.</summary>
    public const float MinNormalWeight = 1.17549435e-38f;
}
