using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The other side's rows a shard's nonzeros touch, as fetched from the other side's shards: their weights
/// exp(E[log] − row max), the very floats the owning shard computed, copied into one padded table the fused loop
/// reads (part j, from shard j, at its rows), and the exact E[log] of the few rows that have a weight below float32's
/// normal range, for the exact path. So a shard computes what the in-process trainer computes, and no exponential
/// is taken twice.
/// </summary>
internal sealed class GatheredRows : CounterpartRows
{
    private readonly int[] _partStart;
    private readonly Dictionary<int, float[]>[] _exact;
    private readonly int _factors;

    public GatheredRows(int[] partStart, FactorMembers members)
    {
        _partStart = partStart;
        _factors = members.Factors;
        Members = members;
        Stride = members.Stride;
        var factors = _factors;
        var stride = Stride;
        _exact = new Dictionary<int, float[]>[partStart.Length - 1];
        for (var j = 0; j < _exact.Length; j++) _exact[j] = [];
        _expElog = new CacheLineAlignedFloats(partStart[^1] * stride);
        ColumnSum = new double[factors];
    }

    public override Span<float> ExpElog => _expElog.Span;
    private readonly CacheLineAlignedFloats _expElog;
    public override int Stride { get; }
    public override FactorMembers Members { get; }
    public override double[] ColumnSum { get; }

    public int Parts => _exact.Length;

    /// <summary>Rows expected from shard <paramref name="part"/>.</summary>
    public int RowsOf(int part) => _partStart[part + 1] - _partStart[part];

    /// <summary>Takes all of part <paramref name="part"/>'s rows, as its shard sent them (<see cref="RowContent.Weights"/>).</summary>
    /// <returns>False when a weight is not finite (the sender's model is broken).</returns>
    public bool Fill(int part, FetchedRows rows)
    {
        var count = RowsOf(part);
        if (rows.Values.Length != count * _factors)
            throw new InvalidOperationException($"shard {part} of the other side sent {rows.Values.Length / Math.Max(1, _factors)} rows where {count} were resolved");
        _exact[part].Clear();
        return Take(part, rows, i => i);
    }

    /// <summary>
    /// Takes all of part <paramref name="part"/>'s rows from a push cut into pieces (in row order, each starting where
    /// the one before ended), each piece's exact rows at their place, without first joining the pieces into one array.
    /// </summary>
    /// <returns>False when a weight is not finite.</returns>
    public bool Fill(int part, IReadOnlyList<RowPush> pieces)
    {
        var count = RowsOf(part);
        var next = 0;
        foreach (var piece in pieces)
        {
            if (piece.Rows is not { } rows || piece.FirstRow != next || rows.Values.Length % _factors != 0)
                throw new InvalidOperationException($"shard {part} of the other side sent a part of its rows that does not start at row {next}");
            next += rows.Values.Length / _factors;
        }
        if (next != count) throw new InvalidOperationException($"shard {part} of the other side sent {next} rows where {count} were resolved");
        _exact[part].Clear();
        var finite = true;
        foreach (var piece in pieces)
        {
            var first = piece.FirstRow;
            finite &= Take(part, piece.Rows!, i => first + i);
        }
        return finite;
    }

    /// <summary>
    /// Takes some rows of part <paramref name="part"/> (an SVI batch's counterparts): row i of <paramref name="rows"/> is the
    /// part's row <paramref name="positions"/>[i]. The other rows keep what they had.
    /// </summary>
    /// <returns>False when a weight is not finite.</returns>
    public bool FillRows(int part, int[] positions, FetchedRows rows)
    {
        if (rows.Values.Length != positions.Length * _factors)
            throw new InvalidOperationException($"shard {part} of the other side sent {rows.Values.Length / Math.Max(1, _factors)} rows where {positions.Length} were asked for");
        foreach (var position in positions) _exact[part].Remove(_partStart[part] + position);
        return Take(part, rows, i => positions[i]);
    }

    /// <summary>
    /// Takes E[log] rows (a fold-in's items, served by their shards) and computes their weights here as exp(E[log] − max),
    /// as the fold-in of a saved model does from the same floats.
    /// </summary>
    /// <returns>False when a row is not finite.</returns>
    public bool FillFromExpectedLog(int part, float[] elog)
    {
        var k = _factors;
        var count = RowsOf(part);
        if (elog.Length != count * k) throw new InvalidOperationException($"{elog.Length / Math.Max(1, k)} rows of E[log] where {count} were expected");
        _exact[part].Clear();
        var first = _partStart[part];
        var finite = true;
        for (var r = 0; r < count; r++)
        {
            var weights = ExpElog.Slice((first + r) * Stride, Stride);
            finite &= Members.ExpShifted(elog.AsSpan(r * k, k), weights);
            if (Members.MinWeight(weights) < MinNormalWeight) _exact[part][first + r] = elog.AsSpan(r * k, k).ToArray();
        }
        return finite;
    }

    public override void LogWeightsOf(int row, Span<float> logWeights)
    {
        var part = SealedLayout.PartOf(_partStart, row);
        if (_exact[part].TryGetValue(row, out var elog)) elog.AsSpan().CopyTo(logWeights);
        else Members.Log(ExpElog.Slice(row * Stride, Stride), logWeights);
    }

    private bool Take(int part, FetchedRows rows, Func<int, int> positionOf)
    {
        var k = _factors;
        var first = _partStart[part];
        var values = rows.Values;
        var finite = true;
        for (var i = 0; i < values.Length / k; i++)
        {
            var source = values.AsSpan(i * k, k);
            finite &= float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(source));
            Members.Expand(source, ExpElog.Slice((first + positionOf(i)) * Stride, Stride));
        }
        for (var x = 0; x < rows.ExactRows.Length; x++)
            _exact[part][first + positionOf(rows.ExactRows[x])] = rows.ExactElog.AsSpan(x * k, k).ToArray();
        return finite;
    }
}
