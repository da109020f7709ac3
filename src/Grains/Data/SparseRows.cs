namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Compressed sparse rows: the nonzeros of each row (a user's items, or an item's users) with the
/// counterpart's dense index. Used as CSR for users and, with the roles swapped, CSC for items.
/// Within a row, counterparts are in ascending index order, so every sum over a row is taken in one
/// fixed order whatever order the input lines came in.
/// </summary>
public sealed class SparseRows
{
    public SparseRows(int[] rowStart, int[] other, float[] counts)
    {
        if (rowStart.Length == 0 || rowStart[^1] != other.Length || other.Length != counts.Length)
            throw new ArgumentException("rowStart must end at the number of nonzeros, and other and counts must have that length");
        RowStart = rowStart;
        Other = other;
        Counts = counts;
    }

    /// <summary>Row r's nonzeros are [RowStart[r], RowStart[r + 1]).</summary>
    public int[] RowStart { get; }
    /// <summary>The counterpart's dense index for each nonzero.</summary>
    public int[] Other { get; }
    public float[] Counts { get; }

    public int Rows => RowStart.Length - 1;
    public int Nonzeros => Other.Length;

    public int Length(int row) => RowStart[row + 1] - RowStart[row];

    public ReadOnlySpan<int> OthersOf(int row) => Other.AsSpan(RowStart[row], Length(row));

    /// <summary>Row r's counterparts followed by up to <paramref name="following"/> of the next rows', for a loop that asks for rows ahead of use.</summary>
    public ReadOnlySpan<int> OthersOf(int row, int following) =>
        Other.AsSpan(RowStart[row], Math.Min(RowStart[row + 1] + following, Other.Length) - RowStart[row]);
    public ReadOnlySpan<float> CountsOf(int row) => Counts.AsSpan(RowStart[row], Length(row));

    /// <summary>Up to <paramref name="count"/> counterparts of the rows after row r, leaving out their first <paramref name="skip"/>.</summary>
    public ReadOnlySpan<int> OthersAfter(int row, int skip, int count)
    {
        var from = (int)Math.Min((long)RowStart[row + 1] + skip, Other.Length);
        return Other.AsSpan(from, (int)Math.Min((long)from + count, Other.Length) - from);
    }

    /// <summary>Row sets with at least this many nonzeros are transposed on several threads (48M took 1.2–1.9 s on one, 0.85 s on two).</summary>
    public const int ParallelTransposeFrom = 1 << 20;

    /// <summary>
    /// The same nonzeros indexed the other way round (CSR ↔ CSC) by counting sort. A large row set is cut into parts
    /// of consecutive rows with about the same nonzeros, one a thread: each part counts its counterparts, and writes
    /// them after the earlier parts' in every transposed row, so each transposed row comes out in ascending order and
    /// the result is the one pass's, whatever the number of parts.
    /// </summary>
    /// <param name="parts">Parts to cut the rows into; by default one for a small row set, else one per core (at most 8).</param>
    public SparseRows Transpose(int otherRows, int? parts = null)
    {
        var count = Math.Clamp(parts ?? (Nonzeros >= ParallelTransposeFrom ? Environment.ProcessorCount : 1), 1, Math.Max(1, Math.Min(8, Rows)));
        var firstRow = new int[count + 1];
        for (var p = 1; p < count; p++) firstRow[p] = RowAtNonzero((long)Nonzeros * p / count);
        firstRow[count] = Rows;
        // next[p][o]: where part p writes its next nonzero of transposed row o; first its count of them.
        var next = new int[count][];
        Parallel.For(0, count, p =>
        {
            var tally = new int[otherRows];
            foreach (var o in Other.AsSpan(RowStart[firstRow[p]], RowStart[firstRow[p + 1]] - RowStart[firstRow[p]])) tally[o]++;
            next[p] = tally;
        });
        var start = new int[otherRows + 1];
        for (var o = 0; o < otherRows; o++)
        {
            var at = start[o];
            for (var p = 0; p < count; p++)
            {
                var inPart = next[p][o];
                next[p][o] = at;
                at += inPart;
            }
            start[o + 1] = at;
        }
        var other = new int[Nonzeros];
        var counts = new float[Nonzeros];
        Parallel.For(0, count, p =>
        {
            var slots = next[p];
            for (var r = firstRow[p]; r < firstRow[p + 1]; r++)
            {
                for (var n = RowStart[r]; n < RowStart[r + 1]; n++)
                {
                    var slot = slots[Other[n]]++;
                    other[slot] = r;
                    counts[slot] = Counts[n];
                }
            }
        });
        return new SparseRows(start, other, counts);
    }

    /// <summary>The first row that starts at or after nonzero <paramref name="nonzero"/> (<see cref="Rows"/> if none).</summary>
    private int RowAtNonzero(long nonzero)
    {
        int low = 0, high = Rows;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (RowStart[mid] < nonzero) low = mid + 1;
            else high = mid;
        }
        return low;
    }
}
