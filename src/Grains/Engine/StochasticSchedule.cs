using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Stochastic variational inference (HPF-MATH.md, "SVI"). One iteration is one epoch: the local side's
/// rows in a seeded random order, cut into mini-batches. Per batch:
/// <list type="number">
/// <item>local step: one coordinate update (φ, shape, rate, activity) of each batch row against the global
/// side, as hpfrec does. Iterating it to convergence was measured to be worse: early on the global rows
/// are nearly symmetric across factors, and a converged local step pulls each local row onto that
/// symmetric fixed point, erasing the initial asymmetry, so the model collapses to a popularity
/// ranking (MovieLens 100k, 100-user batches: precision@20 0.198 converged, 0.259 with one pass);</item>
/// <item>global step: for each global row the batch touched, the natural-gradient step of size ρ towards
/// prior + (rows/batch)·Σ y·φ (shape), E[activity] + local column sum (rate), and then its activity rate.</item>
/// </list>
/// Only the global rows a batch touched move (hpfrec's variant); untouched rows keep their values until a
/// batch reaches them. With users and items both batched, epochs alternate: odd iterations are user
/// epochs, even ones item epochs.
/// </summary>
internal sealed class StochasticSchedule : ITrainingSchedule
{
    private readonly ModelState _state;
    private readonly TrainingOptions _options;
    private readonly int _threads;
    private readonly StepSize _step;
    private readonly Dictionary<FactorSide, long[]> _rowSteps = new();
    private readonly BatchNonzeros _batchNonzeros = new();
    private double[] _globalDeltas = [];
    private long _batches;

    public StochasticSchedule(ModelState state, TrainingOptions options, int threads)
    {
        _state = state;
        _options = options;
        _threads = threads;
        _step = StepSize.From(options);
        if (options.StepSchedule == StepSchedule.PerRow)
        {
            _rowSteps[state.Users] = new long[state.Users.RowCount];
            _rowSteps[state.Items] = new long[state.Items.RowCount];
        }
    }

    /// <summary>Mini-batches taken so far: the t of the global schedule.</summary>
    public long Batches => _batches;

    public void RunIteration(int iteration, CancellationToken cancellationToken)
    {
        var users = _options.UsersPerBatch;
        var items = _options.ItemsPerBatch;
        var userEpoch = users is not null && (items is null || iteration % 2 == 1);
        if (userEpoch) RunEpoch(_state.Users, _state.Items, users!.Value, iteration, cancellationToken);
        else RunEpoch(_state.Items, _state.Users, items!.Value, iteration, cancellationToken);
    }

    private void RunEpoch(FactorSide local, FactorSide global, int batchSize, int epoch, CancellationToken cancellationToken)
    {
        var order = Permutation(local.RowCount, epoch, local.Name);
        var k = local.K;
        var oldLocal = new float[Math.Min(batchSize, local.RowCount) * k];
        for (var start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            _batches++;

            // Local step, rows in parallel; the local column sum follows the rows' change exactly.
            for (var b = 0; b < batch.Length; b++) local.Expected.AsSpan(batch[b] * k, k).CopyTo(oldLocal.AsSpan(b * k, k));
            var failed = LocalStep(local, global, batch, cancellationToken);
            if (failed >= 0) throw new HpfNumericException(epoch, local.Name, local.Ids[failed]);
            for (var b = 0; b < batch.Length; b++)
            {
                var now = local.Expected.AsSpan(batch[b] * k, k);
                var before = oldLocal.AsSpan(b * k, k);
                for (var f = 0; f < k; f++) local.ColumnSum[f] += (double)now[f] - before[f];
            }

            // Global step for the rows the batch touched, in parallel; their column-sum change added in row order.
            _batchNonzeros.Collect(local, global, batch);
            failed = GlobalStep(local, global, (double)local.RowCount / batch.Length, cancellationToken);
            if (failed >= 0) throw new HpfNumericException(epoch, global.Name, global.Ids[failed]);
        }
        // The running column sums drift by rounding over many batches; start each epoch from exact ones.
        local.RecomputeColumnSums();
        global.RecomputeColumnSums();
    }

    private double RowStep(FactorSide global, int row)
    {
        if (_rowSteps.TryGetValue(global, out var counts)) return _step.At(++counts[row]);
        return _step.At(_batches);
    }

    private int LocalStep(FactorSide local, FactorSide global, int[] batch, CancellationToken cancellationToken)
    {
        var failed = int.MaxValue;
        Parallel.For(0, batch.Length,
            new ParallelOptions { MaxDegreeOfParallelism = _threads, CancellationToken = cancellationToken },
            () => new RowScratch(local.K, local.Stride),
            (b, _, scratch) =>
            {
                if (!local.UpdateRow(batch[b], global, scratch))
                {
                    lock (batch) failed = Math.Min(failed, batch[b]);
                }
                return scratch;
            },
            _ => { });
        return failed == int.MaxValue ? -1 : failed;
    }

    /// <summary>
    /// For each global row o the batch touched: its sufficient statistic Σ_{r∈batch} y·φ_ro = e_o ⊙ Σ (y/⟨w_r,e_o⟩)·w_r,
    /// then the step of size ρ towards prior + scale·statistic (shape) and E[activity] + local column sum (rate),
    /// then its activity rate. Rows in parallel; each row's sum in batch order.
    /// </summary>
    /// <returns>The lowest global row that came out NaN or ∞, or −1.</returns>
    private int GlobalStep(FactorSide local, FactorSide global, double scale, CancellationToken cancellationToken)
    {
        var groups = _batchNonzeros;
        var rows = groups.GlobalRows;
        var k = global.K;
        var stride = global.Stride;
        if (_globalDeltas.Length < rows.Count * k) _globalDeltas = new double[rows.Count * k];
        var deltas = _globalDeltas;
        var failed = int.MaxValue;
        Parallel.For(0, rows.Count,
            new ParallelOptions { MaxDegreeOfParallelism = _threads, CancellationToken = cancellationToken },
            () => (Scratch: new RowScratch(k, stride), Statistic: new float[stride], Exact: new double[k]),
            (g, _, worker) =>
            {
                var o = rows[g];
                var statistic = worker.Statistic.AsSpan();
                statistic.Clear();
                Array.Clear(worker.Exact);
                var anyExact = false;
                for (var j = groups.GroupStart[g]; j < groups.GroupStart[g + 1]; j++)
                    anyExact |= local.AddStatistic(groups.LocalRows[j], global, o, groups.Counts[j], statistic, worker.Exact, worker.Scratch);

                var before = deltas.AsSpan(g * k, k);
                var expected = global.Expected.AsSpan(o * k, k);
                for (var f = 0; f < k; f++) before[f] = expected[f];
                if (!GlobalRowStep.StepTowards(global, o, statistic, anyExact ? worker.Exact : default, scale, RowStep(global, o), local.ColumnSum, worker.Scratch))
                {
                    lock (deltas) failed = Math.Min(failed, o);
                }
                for (var f = 0; f < k; f++) before[f] = expected[f] - before[f];
                return worker;
            },
            _ => { });
        if (failed != int.MaxValue) return failed;
        for (var g = 0; g < rows.Count; g++)
        {
            var delta = deltas.AsSpan(g * k, k);
            for (var f = 0; f < k; f++) global.ColumnSum[f] += delta[f];
        }
        return -1;
    }

    /// <summary>The epoch's visiting order: a Fisher–Yates shuffle from the job seed, the epoch and the side.</summary>
    private int[] Permutation(int n, int epoch, string side)
    {
        var order = new int[n];
        for (var j = 0; j < n; j++) order[j] = j;
        var random = new RowRandom(_options.Seed, side, $"epoch {epoch}");
        for (var j = n - 1; j > 0; j--)
        {
            var pick = (int)(random.NextUInt64() % (ulong)(j + 1));
            (order[j], order[pick]) = (order[pick], order[j]);
        }
        return order;
    }
}
