namespace Hpf.Cluster.Grains.Engine;

/// <summary>A parameter became NaN or ∞: the step failed, and no model from it is returned.</summary>
public sealed class HpfNumericException : Exception
{
    public HpfNumericException(int iteration, string side, string rowId)
        : base($"numerical failure at iteration {iteration}: a {side} parameter of {side} '{rowId}' is NaN or infinite")
    {
        Iteration = iteration;
        Side = side;
        RowId = rowId;
    }

    public int Iteration { get; }
    /// <summary>"user" or "item".</summary>
    public string Side { get; }
    public string RowId { get; }
}
