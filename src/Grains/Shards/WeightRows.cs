using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// What a shard sends for <see cref="RowContent.Weights"/>: the K weights of each listed row without its padding
/// exp(E[log] − max), and E[log] of the rows with a weight below float32's normal range, so the receiver's
/// <see cref="GatheredRows"/> holds exactly what the owning <see cref="FactorSide"/> holds.
/// </summary>
internal static class WeightRows
{
    /// <param name="buffer">Where to pack the weights (rows × K), or null for a new array.</param>
    public static FetchedRows Pack(FactorSide side, ReadOnlySpan<int> rows, float[]? buffer)
    {
        var k = side.K;
        var stride = side.Stride;
        var values = buffer ?? new float[rows.Length * k];
        var exactCount = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            side.Members.Compact(side.ExpElog.Slice(rows[i] * stride, stride), values.AsSpan(i * k, k));
            if (side.ExactRows[rows[i]]) exactCount++;
        }
        // Rows with a denormal weight are rare: counted first so that the common push allocates nothing for them.
        if (exactCount == 0) return new FetchedRows(values, [], []);
        var exact = new int[exactCount];
        for (var (i, x) = (0, 0); i < rows.Length; i++)
            if (side.ExactRows[rows[i]]) exact[x++] = i;
        var elog = new float[exactCount * k];
        for (var x = 0; x < exactCount; x++) side.ExpectedLogOf(rows[exact[x]], elog.AsSpan(x * k, k));
        return new FetchedRows(values, exact, elog);
    }
}
