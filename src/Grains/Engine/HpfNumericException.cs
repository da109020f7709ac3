namespace Hpf.Cluster.Grains.Engine;

/// <summary>A parameter became NaN or ∞: the step failed, and no model from it is returned.</summary>
[GenerateSerializer, Alias("hpf.HpfNumericException")]
public sealed class HpfNumericException : Exception
{
    public HpfNumericException(int iteration, string side, string rowId)
        : this(iteration, side, rowId, null)
    {
    }

    /// <param name="shard">Where the row lives when training on a cluster ("user shard 3"), for the message.</param>
    public HpfNumericException(int iteration, string side, string rowId, string? shard)
        : base($"numerical failure at iteration {iteration}: a parameter of {side} '{rowId}'{(shard is null ? "" : $" ({shard})")} is NaN or infinite")
    {
        Iteration = iteration;
        Side = side;
        RowId = rowId;
        Shard = shard;
    }

    [Id(0)]
    public int Iteration { get; }
    /// <summary>"user" or "item".</summary>
    [Id(1)]
    public string Side { get; }
    [Id(2)]
    public string RowId { get; }
    /// <summary>The shard of the row, on a cluster; null in process.</summary>
    [Id(3)]
    public string? Shard { get; }
}
