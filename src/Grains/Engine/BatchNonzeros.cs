using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// A mini-batch's nonzeros regrouped by the global row they touch, each group in batch order: what the SVI global
/// step reads, in process and in a shard's batch statistics. Grouping lets the global rows be updated in parallel with
/// no shared sums, and keeping batch order inside a group keeps every sum in one fixed order (the same model for any
/// thread count). A counting sort: linear in the batch's nonzeros plus a sort or a scan of the touched rows; a large
/// batch in parts side by side. Buffers grow to the largest batch and are reused; the per-row counts are cleared where
/// touched.
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

    /// <summary>
    /// A batch of at least this many nonzeros is grouped in parts side by side, one a thread: at 48M nonzeros a batch of
    /// a tenth of the users (4.8M nonzeros) took about an eighth of a second on one core while the other waited, ten
    /// times an epoch; at 10M (batches of 1M) the epochs' middle took 0.83–0.87 s in parts against 1.00–1.16 s.
    /// </summary>
    public const int ParallelFrom = 1 << 18;

    /// <summary>Per part of a batch grouped in parts, [global rows]: first its tally of each row, then its next slot; zero between calls.</summary>
    private int[][] _partFill = [];

    /// <summary>Groups <paramref name="batch"/>'s nonzeros by the global row they touch.</summary>
    /// <param name="rows">The local side's nonzeros, by local row.</param>
    /// <param name="globalRows">How many global rows the nonzeros' counterparts index.</param>
    /// <param name="threads">Threads a large batch may be grouped on (<see cref="ParallelFrom"/>).</param>
    /// <param name="parts">
    /// Parts of consecutive batch rows to group side by side; by default one for a small batch, else one a thread (at
    /// most 8). Each part writes its nonzeros of a group after the earlier parts', so the groups are the one pass's.
    /// </param>
    public void Collect(SparseRows rows, int globalRows, int[] batch, int threads = 1, int? parts = null)
    {
        long nonzeros = 0;
        foreach (var r in batch) nonzeros += rows.RowStart[r + 1] - rows.RowStart[r];
        var count = Math.Clamp(parts ?? (nonzeros >= ParallelFrom ? threads : 1), 1, Math.Max(1, Math.Min(8, batch.Length)));
        if (count > 1) CollectInParts(rows, globalRows, batch, (int)nonzeros, count);
        else CollectInOnePass(rows, globalRows, batch);
    }

    private void CollectInOnePass(SparseRows rows, int globalRows, int[] batch)
    {
        if (_fill.Length < globalRows) _fill = new int[globalRows];
        var n = 0;
        GlobalRows.Clear();
        foreach (var r in batch)
        {
            foreach (var o in rows.OthersOf(r))
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
        if (GlobalRows.Count > globalRows / 16)
        {
            // Most rows touched (a batch of a tenth of the items reaches nearly every user): one scan of the counts finds
            // them in order, where sorting a million indices took as long as the batch's statistics.
            GlobalRows.Clear();
            for (var o = 0; o < globalRows; o++)
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
        Scatter(rows, batch, 0, batch.Length, _fill, LocalRows, Counts);
        foreach (var o in GlobalRows) _fill[o] = 0;
    }

    private void CollectInParts(SparseRows rows, int globalRows, int[] batch, int nonzeros, int count)
    {
        if (LocalRows.Length < nonzeros)
        {
            LocalRows = new int[nonzeros];
            Counts = new float[nonzeros];
        }
        if (_partFill.Length < count || _partFill[0].Length < globalRows)
        {
            _partFill = new int[Math.Max(count, _partFill.Length)][];
            for (var p = 0; p < _partFill.Length; p++) _partFill[p] = new int[globalRows];
        }
        // Part p is batch entries [firstEntry[p], firstEntry[p + 1]), with about a count-th of the nonzeros.
        var firstEntry = new int[count + 1];
        long seen = 0;
        for (int b = 0, p = 1; b < batch.Length && p < count; b++)
        {
            seen += rows.RowStart[batch[b] + 1] - rows.RowStart[batch[b]];
            while (p < count && seen >= (long)nonzeros * p / count) firstEntry[p++] = b + 1;
        }
        firstEntry[count] = batch.Length;
        var fills = _partFill;
        Parallel.For(0, count, p =>
        {
            var fill = fills[p];
            for (var b = firstEntry[p]; b < firstEntry[p + 1]; b++)
                foreach (var o in rows.OthersOf(batch[b])) fill[o]++;
        });
        // A batch this large touches most global rows: one scan finds them in order and places each part's share of a
        // group after the earlier parts'.
        GlobalRows.Clear();
        GroupStart.Clear();
        var at = 0;
        for (var o = 0; o < globalRows; o++)
        {
            var start = at;
            for (var p = 0; p < count; p++)
            {
                var inPart = fills[p][o];
                fills[p][o] = at;
                at += inPart;
            }
            if (at == start) continue;
            GlobalRows.Add(o);
            GroupStart.Add(start);
        }
        GroupStart.Add(nonzeros);
        var localRows = LocalRows;
        var counts = Counts;
        Parallel.For(0, count, p =>
        {
            Scatter(rows, batch, firstEntry[p], firstEntry[p + 1], fills[p], localRows, counts);
            Array.Clear(fills[p], 0, globalRows);
        });
    }

    /// <summary>Writes the nonzeros of batch entries [from, to) to their groups' next slots, which <paramref name="fill"/> holds per global row.</summary>
    private static void Scatter(SparseRows rows, int[] batch, int from, int to, int[] fill, int[] localRows, float[] counts)
    {
        for (var b = from; b < to; b++)
        {
            var r = batch[b];
            var others = rows.OthersOf(r);
            var ys = rows.CountsOf(r);
            for (var j = 0; j < others.Length; j++)
            {
                var slot = fill[others[j]]++;
                localRows[slot] = r;
                counts[slot] = ys[j];
            }
        }
    }
}
