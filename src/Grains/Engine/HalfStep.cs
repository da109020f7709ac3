using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// One full-batch half-step: every row of one side updated against the other side's current
/// parameters, in parallel over row blocks, then that side's column sums taken in block order.
/// </summary>
internal sealed class HalfStep
{
    private readonly FactorSide _side;
    private readonly CounterpartRows _other;
    private readonly int _threads;
    private readonly double[] _blockSums;

    public HalfStep(FactorSide side, CounterpartRows other, int threads)
    {
        _side = side;
        _other = other;
        _threads = threads;
        _blockSums = new double[side.Blocks.Count * side.K];
    }

    /// <summary>Each row's rate data term when the model's rates are not the other side's column sums (the budget model); null for HPF.</summary>
    public RowRates? Rates { get; set; }

    /// <summary>Runs the half-step.</summary>
    /// <returns>The lowest row whose parameters came out NaN or ∞, or −1.</returns>
    public int Run(CancellationToken cancellationToken)
    {
        var side = _side;
        var k = side.K;
        var starts = side.Blocks.Starts;
        var failed = int.MaxValue;
        Parallel.For(0, side.Blocks.Count,
            new ParallelOptions { MaxDegreeOfParallelism = _threads, CancellationToken = cancellationToken },
            () => new RowScratch(k, side.Stride),
            (b, _, scratch) =>
            {
                var sums = _blockSums.AsSpan(b * k, k);
                sums.Clear();
                var rates = Rates;
                for (var r = starts[b]; r < starts[b + 1]; r++)
                {
                    var updated = rates is null ? side.UpdateRow(r, _other, scratch) : side.UpdateRow(r, _other, scratch, rates.Of(r, side, scratch));
                    if (!updated) RecordFailure(ref failed, r);
                    RowArithmetic.AddWidened(sums, side.Expected.AsSpan(r * k, k));
                }
                return scratch;
            },
            _ => { });
        if (failed != int.MaxValue) return failed;

        var total = side.ColumnSum;
        Array.Clear(total);
        for (var b = 0; b < side.Blocks.Count; b++)
        {
            var sums = _blockSums.AsSpan(b * k, k);
            for (var f = 0; f < k; f++) total[f] += sums[f];
        }
        return -1;
    }

    private static void RecordFailure(ref int failed, int row)
    {
        var seen = Volatile.Read(ref failed);
        while (row < seen)
        {
            var previous = Interlocked.CompareExchange(ref failed, row, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }
}
