namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// The other side's rows as a row update reads them: exp(E[log] − row max) for the fused loop, E[log] for the
/// rare nonzeros that take the exact path, and the column sums over all of that side's rows. In process this is
/// the other <see cref="FactorSide"/> itself; in a shard it is the rows gathered from the other side's shards.
/// </summary>
internal abstract class CounterpartRows
{
    /// <summary>exp(E[log x] − row max), [rows × <see cref="Stride"/>], zero-padded.</summary>
    public abstract float[] ExpElog { get; }

    /// <summary>Row length of <see cref="ExpElog"/>.</summary>
    public abstract int Stride { get; }

    /// <summary>Σ E[x_k] over every row of the other side (not only these): B for a user update, T for an item one.</summary>
    public abstract double[] ColumnSum { get; }

    /// <summary>E[log x] of row <paramref name="row"/>.</summary>
    public abstract void ExpectedLogOf(int row, Span<float> elog);
}
