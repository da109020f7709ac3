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

    /// <summary>The same nonzeros indexed the other way round (CSR ↔ CSC), in one counting-sort pass.</summary>
    public SparseRows Transpose(int otherRows)
    {
        var start = new int[otherRows + 1];
        foreach (var o in Other) start[o + 1]++;
        for (var j = 0; j < otherRows; j++) start[j + 1] += start[j];
        var next = (int[])start.Clone();
        var other = new int[Nonzeros];
        var counts = new float[Nonzeros];
        // Rows are visited in ascending order, so each transposed row comes out sorted as well.
        for (var r = 0; r < Rows; r++)
        {
            for (var n = RowStart[r]; n < RowStart[r + 1]; n++)
            {
                var slot = next[Other[n]]++;
                other[slot] = r;
                counts[slot] = Counts[n];
            }
        }
        return new SparseRows(start, other, counts);
    }
}
