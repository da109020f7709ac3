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
}
