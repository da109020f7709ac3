using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

public class SparseRowsTests
{
    // Rows of 3, 0, 4 and 2 nonzeros.
    private static readonly SparseRows Rows = new([0, 3, 3, 7, 9], [10, 11, 12, 20, 21, 22, 23, 30, 31], new float[9]);

    /// <summary>The counterparts a row update asks for while its arithmetic runs: after the next rows' first few, across rows, never past the end.</summary>
    [Theory]
    [InlineData(0, 0, 2, new[] { 20, 21 })]          // the row after an empty row's start
    [InlineData(0, 1, 3, new[] { 21, 22, 23 })]
    [InlineData(0, 2, 10, new[] { 22, 23, 30, 31 })]  // on into the row after, then the end
    [InlineData(2, 1, 5, new[] { 31 })]
    [InlineData(3, 0, 4, new int[0])]                 // the last row has none after it
    [InlineData(1, 9, 4, new int[0])]                 // skipping past the end
    public void OthersAfterARowSkipTheFirstAndStopAtTheEnd(int row, int skip, int count, int[] expected) =>
        Assert.Equal(expected, Rows.OthersAfter(row, skip, count).ToArray());

    /// <summary>
    /// Transposing in parts of rows gives the one pass's arrays, and every nonzero lands at its (column, row) with its
    /// count, columns in ascending row order; empty rows, empty columns and more parts than rows included.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void TransposingInPartsGivesTheOnePassResult(int parts)
    {
        var random = new Random(17);
        const int rows = 300, columns = 90;
        var start = new int[rows + 1];
        var others = new List<int>();
        var counts = new List<float>();
        for (var r = 0; r < rows; r++)
        {
            // Every seventh row empty, one long row, column 89 never used.
            var length = r % 7 == 0 ? 0 : r == 150 ? 80 : random.Next(1, 12);
            foreach (var o in Enumerable.Range(0, columns - 1).OrderBy(_ => random.Next()).Take(length).Order())
            {
                others.Add(o);
                counts.Add(1 + random.Next(9));
            }
            start[r + 1] = others.Count;
        }
        var byRow = new SparseRows(start, others.ToArray(), counts.ToArray());
        var onePass = byRow.Transpose(columns, parts: 1);
        var inParts = byRow.Transpose(columns, parts);
        Assert.Equal(onePass.RowStart, inParts.RowStart);
        Assert.Equal(onePass.Other, inParts.Other);
        Assert.Equal(onePass.Counts, inParts.Counts);

        Assert.Equal(0, inParts.Length(columns - 1));
        var seen = 0;
        for (var c = 0; c < columns; c++)
        {
            var rowsOfColumn = inParts.OthersOf(c).ToArray();
            Assert.Equal(rowsOfColumn.Order(), rowsOfColumn);
            for (var n = 0; n < rowsOfColumn.Length; n++)
            {
                var r = rowsOfColumn[n];
                var at = Array.IndexOf(byRow.Other, c, byRow.RowStart[r], byRow.Length(r));
                Assert.True(at >= 0, $"column {c} lists row {r}, which has no nonzero there");
                Assert.Equal(byRow.Counts[at], inParts.CountsOf(c)[n]);
                seen++;
            }
        }
        Assert.Equal(byRow.Nonzeros, seen);
    }
}
