namespace Hpf.Cluster.Grains.Engine;

/// <summary>One worker's buffers for row updates: allocated once per worker per pass, never per row or nonzero.</summary>
internal sealed class RowScratch
{
    public RowScratch(int factors, int stride)
    {
        ShapeSum = new double[stride];
        Partial = new float[stride];
        Elog = new float[factors];
        ElogOther = new float[factors];
        Rates = new double[factors];
        Factors = new double[factors];
        Exponentials = new double[factors];
    }

    /// <summary>Σ (y/⟨w,e⟩)·e over a row's nonzeros, then the row's new shape sums.</summary>
    public double[] ShapeSum { get; }
    /// <summary>The fused loop's float32 partial sums.</summary>
    public float[] Partial { get; }
    public float[] Elog { get; }
    public float[] ElogOther { get; }
    /// <summary>A row's own rate data term, for models whose rates are not the column sums (<see cref="RowRates"/>).</summary>
    public double[] Rates { get; }
    /// <summary>A row's E[x] in float64, for the vector kernels that <see cref="RowRates"/> run over float64 tables.</summary>
    public double[] Factors { get; }
    /// <summary>A row's exp(E[log]) in float64, before each member is scaled by its max into the weights.</summary>
    public double[] Exponentials { get; }
}
