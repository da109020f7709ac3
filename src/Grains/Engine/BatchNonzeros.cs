namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// A mini-batch's nonzeros regrouped by the global row they touch, each group in batch order: what the
/// SVI global step reads. Grouping lets the global rows be updated in parallel with no shared sums,
/// and keeping batch order inside a group keeps every sum in one fixed order (the same model for any
/// thread count). A counting sort: linear in the batch's nonzeros plus a sort of the touched rows.
/// Buffers grow to the largest batch and are reused; the per-row counts are cleared where touched.
/// </summary>
internal sealed class BatchNonzeros
{
    private int[] _fill = [];

    /// <summary>The global rows the batch touches, ascending.</summary>
    public List<int> GlobalRows { get; } = new();
    /// <summary>Group g is entries [GroupStart[g], GroupStart[g + 1]).</summary>
    public List<int> GroupStart { get; } = new();
    /// <summary>Per entry, in group order: the local (batch) row.</summary>
    public int[] LocalRows { get; private set; } = [];
    /// <summary>Per entry, in group order: the count.</summary>
    public float[] Counts { get; private set; } = [];

    public void Collect(FactorSide local, FactorSide global, int[] batch)
    {
        if (_fill.Length < global.RowCount) _fill = new int[global.RowCount];
        var n = 0;
        GlobalRows.Clear();
        foreach (var r in batch)
        {
            foreach (var o in local.Rows.OthersOf(r))
            {
                if (_fill[o]++ == 0) GlobalRows.Add(o);
                n++;
            }
        }
        if (LocalRows.Length < n)
        {
            LocalRows = new int[n];
            Counts = new float[n];
        }
        if (GlobalRows.Count > global.RowCount / 16)
        {
            // Most rows touched (a batch of a tenth of the items reaches nearly every user): one scan of the counts finds
            // them in order, where sorting a million indices took as long as the batch's statistics.
            GlobalRows.Clear();
            for (var o = 0; o < global.RowCount; o++)
                if (_fill[o] != 0) GlobalRows.Add(o);
        }
        else
        {
            GlobalRows.Sort();
        }
        GroupStart.Clear();
        var start = 0;
        foreach (var o in GlobalRows)
        {
            GroupStart.Add(start);
            var size = _fill[o];
            _fill[o] = start;   // from here on: the next free slot of row o's group
            start += size;
        }
        GroupStart.Add(n);
        foreach (var r in batch)
        {
            var others = local.Rows.OthersOf(r);
            var counts = local.Rows.CountsOf(r);
            for (var j = 0; j < others.Length; j++)
            {
                var slot = _fill[others[j]]++;
                LocalRows[slot] = r;
                Counts[slot] = counts[j];
            }
        }
        foreach (var o in GlobalRows) _fill[o] = 0;
    }
}
