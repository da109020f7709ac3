using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Stochastic variational inference (HPF-MATH.md, "SVI"). One iteration is one epoch: the local side's
/// rows cut into mini-batches by <see cref="EpochBatches"/>, exactly as the shards cut theirs, so a job gives the
/// same model here and on any number of silos. Per batch:
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
    private double[] _chunkSums = [];
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
        if (_options.IsUserEpoch(iteration)) RunEpoch(_state.Users, _state.Items, _options.UserBatchSize(_state.Users.RowCount)!.Value, iteration, cancellationToken);
        else RunEpoch(_state.Items, _state.Users, _options.ItemBatchSize(_state.Items.RowCount)!.Value, iteration, cancellationToken);
    }

    private void RunEpoch(FactorSide local, FactorSide global, int batchSize, int epoch, CancellationToken cancellationToken)
    {
        // The grains' batches: rows bucketed by a hash of the seed, the epoch, the side and the row's id.
        var batches = (int)Math.Max(1, ((long)local.RowCount + batchSize - 1) / batchSize);
        var cut = new EpochBatches(_options.Seed, epoch, local.Name, local.Ids, batches);
        var k = local.K;
        var oldLocal = Array.Empty<float>();
        for (var b = 0; b < batches; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = cut.RowsOf(b).ToArray();
            // An empty batch takes no step and does not advance the clock, as on the grains.
            if (batch.Length == 0) continue;
            _batches++;
            if (oldLocal.Length < batch.Length * k) oldLocal = new float[batch.Length * k];

            // Local step, rows in parallel; the local column sum follows the rows' change exactly.
            for (var r = 0; r < batch.Length; r++) local.Expected.AsSpan(batch[r] * k, k).CopyTo(oldLocal.AsSpan(r * k, k));
            var failed = LocalStep(local, global, batch, cancellationToken);
            if (failed >= 0) throw new HpfNumericException(epoch, local.Name, local.Ids[failed]);
            for (var r = 0; r < batch.Length; r++)
            {
                var now = local.Expected.AsSpan(batch[r] * k, k);
                var before = oldLocal.AsSpan(r * k, k);
                for (var f = 0; f < k; f++) local.ColumnSum[f] += (double)now[f] - before[f];
            }

            // Global step for the rows the batch touched, in parallel; their column-sum change added in row order.
            _batchNonzeros.Collect(local.Rows, global.RowCount, batch, _threads);
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
        var change = new double[global.K];
        var failed = GlobalRowStep.StepRows(global, groups.GlobalRows, _threads, (g, worker) =>
        {
            var o = groups.GlobalRows[g];
            var statistic = worker.Statistic.AsSpan();
            statistic.Clear();
            Array.Clear(worker.Exact);
            var anyExact = false;
            var entries = groups.GroupStart[^1];
            for (var j = groups.GroupStart[g]; j < groups.GroupStart[g + 1]; j++)
            {
                // The batch rows of a global row are scattered over the local side's table: ask for them ahead, across
                // the next global rows' entries too (each global row has a few).
                if (j + FusedShapePass.PrefetchDistance < entries) FusedShapePass.PrefetchRow(local.ExpElog, groups.LocalRows[j + FusedShapePass.PrefetchDistance], local.Stride);
                anyExact |= local.AddStatistic(groups.LocalRows[j], global, o, groups.Counts[j], statistic, worker.Exact, worker.Scratch);
            }
            return GlobalRowStep.StepTowards(global, o, statistic, anyExact ? worker.Exact : default, scale, RowStep(global, o), local.ColumnSum, worker.Scratch);
        }, change, ref _chunkSums, cancellationToken);
        if (failed >= 0) return failed;
        for (var f = 0; f < change.Length; f++) global.ColumnSum[f] += change[f];
        return -1;
    }
}
