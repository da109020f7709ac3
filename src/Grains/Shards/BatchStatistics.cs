using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The sufficient statistics a local shard's batch rows contribute to the global rows they touch: per touched
/// counterpart position p, Σ (y / ⟨w_r, e_p⟩)·w_r over the batch rows r that have a nonzero with it (w from the rows
/// just updated), each member normalised over its own factors, and y·φ in float64 for the nonzeros whose products
/// underflow. Buffers are reused from batch to batch.
/// </summary>
internal sealed class BatchStatistics
{
    private readonly FactorMembers _members;
    private readonly int _factors;
    private readonly int _stride;
    private int[] _slotOf = [];
    private float[] _sums = [];
    private double[] _exact = [];
    private bool[] _hasExact = [];

    public BatchStatistics(FactorMembers members)
    {
        _members = members;
        _factors = members.Factors;
        _stride = members.Stride;
    }

    /// <summary>Touched counterpart positions, ascending.</summary>
    public List<int> Positions { get; } = [];

    /// <summary>Marks the counterparts of the batch rows and returns how many there are.</summary>
    public int Collect(FactorSide local, ReadOnlySpan<int> batch, int counterpartRows)
    {
        if (_slotOf.Length < counterpartRows)
        {
            _slotOf = new int[counterpartRows];
            Array.Fill(_slotOf, -1);
        }
        foreach (var p in Positions) _slotOf[p] = -1;
        Positions.Clear();
        foreach (var r in batch)
        {
            foreach (var p in local.Rows.OthersOf(r))
            {
                if (_slotOf[p] >= 0) continue;
                _slotOf[p] = 0;
                Positions.Add(p);
            }
        }
        Positions.Sort();
        for (var s = 0; s < Positions.Count; s++) _slotOf[Positions[s]] = s;
        return Positions.Count;
    }

    /// <summary>Accumulates the statistics of the batch rows (already updated) against the gathered rows.</summary>
    public void Accumulate(FactorSide local, ReadOnlySpan<int> batch, CounterpartRows gathered, RowScratch scratch)
    {
        var n = Positions.Count;
        if (_sums.Length < n * _stride)
        {
            _sums = new float[n * _stride];
            _exact = new double[n * _factors];
            _hasExact = new bool[n];
        }
        _sums.AsSpan(0, n * _stride).Clear();
        _exact.AsSpan(0, n * _factors).Clear();
        _hasExact.AsSpan(0, n).Clear();
        var stride = _stride;
        foreach (var r in batch)
        {
            var others = local.Rows.OthersOf(r);
            var counts = local.Rows.CountsOf(r);
            for (var j = 0; j < others.Length; j++)
            {
                // The gathered rows are scattered over a table larger than the caches: asked for a few nonzeros ahead.
                if (j + FusedShapePass.PrefetchDistance < others.Length) FusedShapePass.PrefetchRow(gathered.ExpElog, others[j + FusedShapePass.PrefetchDistance], gathered.Stride);
                var slot = _slotOf[others[j]];
                if (local.AddStatistic(r, gathered, others[j], counts[j], _sums.AsSpan(slot * stride, stride), _exact.AsSpan(slot * _factors, _factors), scratch))
                    _hasExact[slot] = true;
            }
        }
    }

    /// <summary>The touched positions in [<paramref name="from"/>, <paramref name="to"/>) (one other shard's part), relative to <paramref name="from"/>.</summary>
    public int[] PositionsIn(int from, int to)
    {
        var (first, last) = Range(from, to);
        var result = new int[last - first];
        for (var s = first; s < last; s++) result[s - first] = Positions[s] - from;
        return result;
    }

    /// <summary>The statistics of the touched positions in [<paramref name="from"/>, <paramref name="to"/>) (one other shard's part), K per position.</summary>
    public (int[] Positions, float[] Sums, int[] ExactPositions, double[] Exact) Part(int from, int to)
    {
        var (first, last) = Range(from, to);
        var count = last - first;
        var positions = new int[count];
        var sums = new float[count * _factors];
        var exactCount = 0;
        for (var s = first; s < last; s++)
        {
            positions[s - first] = Positions[s] - from;
            _members.Compact(_sums.AsSpan(s * _stride, _stride), sums.AsSpan((s - first) * _factors, _factors));
            if (_hasExact[s]) exactCount++;
        }
        var exactPositions = new int[exactCount];
        var exact = new double[exactCount * _factors];
        var x = 0;
        for (var s = first; s < last; s++)
        {
            if (!_hasExact[s]) continue;
            exactPositions[x] = Positions[s] - from;
            _exact.AsSpan(s * _factors, _factors).CopyTo(exact.AsSpan(x * _factors, _factors));
            x++;
        }
        return (positions, sums, exactPositions, exact);
    }

    /// <summary>Indices into <see cref="Positions"/> (ascending) of the positions in [from, to).</summary>
    private (int First, int Last) Range(int from, int to)
    {
        var first = Positions.BinarySearch(from);
        if (first < 0) first = ~first;
        var last = Positions.BinarySearch(to);
        if (last < 0) last = ~last;
        return (first, last);
    }
}
