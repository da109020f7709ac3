using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Rows cut into consecutive blocks of about equal work (nonzeros, plus a per-row cost for the
/// digammas). Threads take whole blocks; sums over rows are kept per block and added in block order,
/// so the result does not depend on how many threads ran or which block finished first.
/// </summary>
internal sealed class RowBlocks
{
    /// <summary>Work per block, in nonzero-equivalents: enough to amortise scheduling, small enough to balance two cores.</summary>
    private const int TargetWork = 8192;

    public RowBlocks(SparseRows rows, int factors)
    {
        var starts = new List<int> { 0 };
        var rowCost = Math.Max(1, factors / 4);
        long work = 0;
        for (var r = 0; r < rows.Rows; r++)
        {
            work += rows.Length(r) + rowCost;
            if (work >= TargetWork && r + 1 < rows.Rows)
            {
                starts.Add(r + 1);
                work = 0;
            }
        }
        starts.Add(rows.Rows);
        Starts = starts.ToArray();
    }

    /// <summary>Block b is rows [Starts[b], Starts[b + 1]).</summary>
    public int[] Starts { get; }

    public int Count => Starts.Length - 1;
}
