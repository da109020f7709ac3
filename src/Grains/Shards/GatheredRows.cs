using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The other side's rows a shard's nonzeros touch, as fetched from the other side's shards for one half-step:
/// E[log] as received (part j from shard j), and exp(E[log] − row max) computed here into one padded table the
/// fused loop reads. The exponentials are the same function of the same floats as on the owning shard, so the
/// loop sees exactly what the in-process trainer sees.
/// </summary>
internal sealed class GatheredRows : CounterpartRows
{
    private readonly int[] _partStart;
    private readonly float[][] _parts;
    private readonly bool[] _owned;
    private readonly int _factors;
    private readonly int _threads;

    /// <summary>Floats of E[log] one worker exponentiates at a time.</summary>
    private const int ParallelChunkFloats = 1 << 14;

    public GatheredRows(int[] partStart, int factors, int stride, int threads = 1)
    {
        _threads = Math.Max(1, threads);
        _partStart = partStart;
        _factors = factors;
        Stride = stride;
        _parts = new float[partStart.Length - 1][];
        _owned = new bool[_parts.Length];
        for (var j = 0; j < _parts.Length; j++) _parts[j] = [];
        ExpElog = new float[partStart[^1] * stride];
        ColumnSum = new double[factors];
    }

    public override float[] ExpElog { get; }
    public override int Stride { get; }
    public override double[] ColumnSum { get; }

    public int Parts => _parts.Length;

    /// <summary>Rows expected from shard <paramref name="part"/>.</summary>
    public int RowsOf(int part) => _partStart[part + 1] - _partStart[part];

    /// <summary>Takes part <paramref name="part"/>'s E[log] rows ([rows × K], kept as given) and fills its rows of the exp table.</summary>
    /// <returns>False when a row is not finite (the sender's model is broken).</returns>
    public bool Fill(int part, float[] elog)
    {
        var rows = RowsOf(part);
        if (elog.Length != rows * _factors)
            throw new InvalidOperationException($"shard {part} of the other side sent {elog.Length / Math.Max(1, _factors)} rows where {rows} were resolved");
        _parts[part] = elog;
        _owned[part] = false;
        var k = _factors;
        var stride = Stride;
        var first = _partStart[part];
        var finite = true;
        // Large parts are exponentiated on all the shard's threads: it is the one per-row cost a shard adds to a half-step.
        var chunks = Math.Clamp(rows * k / ParallelChunkFloats, 1, Math.Max(1, _threads * 4));
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = _threads }, c =>
        {
            var from = (int)((long)rows * c / chunks);
            var to = (int)((long)rows * (c + 1) / chunks);
            var ok = true;
            for (var r = from; r < to; r++)
            {
                var max = ExpectedLog.ExpShifted(elog.AsSpan(r * k, k), ExpElog.AsSpan((first + r) * stride, stride));
                ok &= float.IsFinite(max);
            }
            if (!ok) Volatile.Write(ref finite, false);
        });
        return finite;
    }

    /// <summary>
    /// Takes E[log] of some rows of part <paramref name="part"/> (an SVI batch's counterparts): row i of
    /// <paramref name="elog"/> is the part's row <paramref name="positions"/>[i]. The other rows keep what they had.
    /// </summary>
    /// <returns>False when a row is not finite.</returns>
    public bool FillRows(int part, ReadOnlySpan<int> positions, float[] elog)
    {
        var k = _factors;
        if (elog.Length != positions.Length * k)
            throw new InvalidOperationException($"shard {part} of the other side sent {elog.Length / Math.Max(1, k)} rows where {positions.Length} were asked for");
        if (!_owned[part])
        {
            // Rows are scattered into a table of the part's own, which a later full fetch replaces again.
            var own = new float[RowsOf(part) * k];
            _parts[part].AsSpan(0, Math.Min(_parts[part].Length, own.Length)).CopyTo(own);
            _parts[part] = own;
            _owned[part] = true;
        }
        var table = _parts[part];
        var first = _partStart[part];
        var finite = true;
        for (var i = 0; i < positions.Length; i++)
        {
            var row = positions[i];
            var source = elog.AsSpan(i * k, k);
            source.CopyTo(table.AsSpan(row * k, k));
            var max = ExpectedLog.ExpShifted(source, ExpElog.AsSpan((first + row) * Stride, Stride));
            finite &= float.IsFinite(max);
        }
        return finite;
    }

    public override void ExpectedLogOf(int row, Span<float> elog)
    {
        var part = PartOf(row);
        _parts[part].AsSpan((row - _partStart[part]) * _factors, _factors).CopyTo(elog);
    }

    private int PartOf(int row)
    {
        // Few parts (one per shard of the other side): a binary search over their starts.
        int lo = 0, hi = _parts.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_partStart[mid] <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
