using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The sufficient statistics a local shard's batch rows contribute to the global rows they touch: per touched
/// counterpart position p, Σ (y / ⟨w_r, e_p⟩)·w_r over the batch rows r that have a nonzero with it (w from the rows
/// just updated), each member normalised over its own factors, and y·φ in float64 for the nonzeros whose products
/// underflow. The batch's nonzeros are grouped by position (<see cref="BatchNonzeros"/>), so the positions' sums run in
/// parallel, each in batch order as the in-process global step takes them. Buffers are reused from batch to batch.
/// </summary>
internal sealed class BatchStatistics
{
    private readonly FactorMembers _members;
    private readonly int _factors;
    private readonly int _stride;
    private const int PositionsPerBlock = 64;
    private readonly BatchNonzeros _grouped = new();
    private float[] _sums = [];
    /// <summary>The y·φ sums of the few positions some nonzero of which took the exact path, by slot.</summary>
    private readonly Dictionary<int, double[]> _exactOf = [];

    public BatchStatistics(FactorMembers members)
    {
        _members = members;
        _factors = members.Factors;
        _stride = members.Stride;
    }

    /// <summary>Touched counterpart positions, ascending.</summary>
    public List<int> Positions => _grouped.GlobalRows;

    /// <summary>Groups the batch rows' nonzeros by counterpart position and returns how many positions they touch.</summary>
    public int Collect(FactorSide local, int[] batch, int counterpartRows, int threads)
    {
        _grouped.Collect(local.Rows, counterpartRows, batch, threads);
        return Positions.Count;
    }

    /// <summary>
    /// Accumulates the statistics of the batch rows (already updated) against the gathered rows, positions in parallel.
    /// Position g's sums are slot g's alone, added to in batch order: the same sums for any thread count. At 10M
    /// nonzeros on one silo an SVI epoch took 3.0–3.8 s when the batch rows were walked in order on one thread, adding
    /// into the positions' sums scattered over up to 50 MB, and 1.7–1.9 s so.
    /// </summary>
    public void Accumulate(FactorSide local, CounterpartRows gathered, int threads, CancellationToken cancellationToken)
    {
        var n = Positions.Count;
        if (_sums.Length < n * _stride) _sums = new float[n * _stride];
        _sums.AsSpan(0, n * _stride).Clear();
        _exactOf.Clear();
        var grouped = _grouped;
        var (stride, factors) = (_stride, _factors);
        var (sums, exactOf) = (_sums, _exactOf);
        // Blocks of positions, so that a thread's turn is more than one position's few entries.
        var blocks = (n + PositionsPerBlock - 1) / PositionsPerBlock;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            () => (Scratch: new RowScratch(local.K, local.Stride), Exact: new double[factors]),
            (block, _, worker) =>
            {
                var entries = grouped.GroupStart[^1];
                var localRows = grouped.LocalRows;
                for (var g = block * PositionsPerBlock; g < Math.Min(n, (block + 1) * PositionsPerBlock); g++)
                {
                    var p = grouped.GlobalRows[g];
                    var rowSums = sums.AsSpan(g * stride, stride);
                    var anyExact = false;
                    for (var j = grouped.GroupStart[g]; j < grouped.GroupStart[g + 1]; j++)
                    {
                        // The batch rows of a position are scattered over the local table: ask for them ahead, across the
                        // next positions' entries too (each position has a few).
                        if (j + FusedShapePass.PrefetchDistance < entries) FusedShapePass.PrefetchRow(local.ExpElog, localRows[j + FusedShapePass.PrefetchDistance], local.Stride);
                        anyExact |= local.AddStatistic(localRows[j], gathered, p, grouped.Counts[j], rowSums, worker.Exact, worker.Scratch);
                    }
                    if (!anyExact) continue;
                    // Rare (products under 1e-30): kept aside rather than in a [positions × K] float64 table cleared every batch.
                    lock (exactOf) exactOf[g] = (double[])worker.Exact.Clone();
                    Array.Clear(worker.Exact);
                }
                return worker;
            },
            _ => { });
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
            if (_exactOf.ContainsKey(s)) exactCount++;
        }
        var exactPositions = new int[exactCount];
        var exact = new double[exactCount * _factors];
        var x = 0;
        for (var s = first; s < last; s++)
        {
            if (!_exactOf.TryGetValue(s, out var rowExact)) continue;
            exactPositions[x] = Positions[s] - from;
            rowExact.CopyTo(exact.AsSpan(x * _factors, _factors));
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
