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
        var stride = global.Stride;
        var statistics = new float[global.RowCount * stride];
        var touched = new bool[global.RowCount];
        var touchedRows = new List<int>();
        var oldLocal = new float[Math.Min(batchSize, local.RowCount) * k];
        var oldGlobal = new float[k];
        var scratch = new RowScratch(k, stride);
        var exact = new Dictionary<int, double[]>();
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

            // Sufficient statistics Σ_{r∈batch} (y/⟨w_r,e_o⟩)·w_r per touched global row o, in batch order.
            touchedRows.Clear();
            exact.Clear();
            Scatter(local, global, batch, statistics, exact, touched, touchedRows, scratch);

            // Global step for the touched rows.
            var scale = (double)local.RowCount / batch.Length;
            foreach (var o in touchedRows)
            {
                var rho = RowStep(global, o);
                global.Expected.AsSpan(o * k, k).CopyTo(oldGlobal);
                exact.TryGetValue(o, out var exactSums);
                if (!GlobalStep(global, local, o, statistics.AsSpan(o * stride, stride), exactSums, scale, rho, scratch))
                    throw new HpfNumericException(epoch, global.Name, global.Ids[o]);
                var now = global.Expected.AsSpan(o * k, k);
                for (var f = 0; f < k; f++) global.ColumnSum[f] += (double)now[f] - oldGlobal[f];
                statistics.AsSpan(o * stride, stride).Clear();
                touched[o] = false;
            }
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

    /// <param name="exact">y·φ sums of the rare nonzeros whose exp(E[log]) products underflow, per global row, computed from E[log] directly.</param>
    private static void Scatter(FactorSide local, FactorSide global, int[] batch, float[] statistics, Dictionary<int, double[]> exact,
        bool[] touched, List<int> touchedRows, RowScratch scratch)
    {
        var stride = local.Stride;
        foreach (var r in batch)
        {
            var w = local.ExpElog.AsSpan(r * stride, stride);
            var others = local.Rows.OthersOf(r);
            var counts = local.Rows.CountsOf(r);
            for (var n = 0; n < others.Length; n++)
            {
                var o = others[n];
                var e = global.ExpElog.AsSpan(o * stride, stride);
                var s = System.Numerics.Tensors.TensorPrimitives.Dot(w, e);
                var target = statistics.AsSpan(o * stride, stride);
                if (!touched[o])
                {
                    touched[o] = true;
                    touchedRows.Add(o);
                }
                if (s >= FusedShapePass.MinNormalizer)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w, counts[n] / s, target, target);
                }
                else
                {
                    local.ExpectedLogOf(r, scratch.Elog);
                    global.ExpectedLogOf(o, scratch.ElogOther);
                    if (!exact.TryGetValue(o, out var sums)) exact[o] = sums = new double[local.K];
                    FusedShapePass.ExactShapeContribution(scratch.Elog, scratch.ElogOther, counts[n], sums);
                }
            }
        }
    }

    private static bool GlobalStep(FactorSide global, FactorSide local, int o, ReadOnlySpan<float> statistics, double[]? exactSums,
        double scale, double rho, RowScratch scratch)
    {
        var k = global.K;
        var e = global.ExpElog.AsSpan(o * global.Stride, k);
        var shape = global.Shape.AsSpan(o * k, k);
        var rate = global.Rate.AsSpan(o * k, k);
        var expectedActivity = global.ActivityShape / global.ActivityRate[o];
        double expectedSum = 0;
        for (var f = 0; f < k; f++)
        {
            var targetShape = global.ShapePrior + scale * ((double)e[f] * statistics[f] + (exactSums?[f] ?? 0));
            var targetRate = expectedActivity + local.ColumnSum[f];
            shape[f] = (float)((1 - rho) * shape[f] + rho * targetShape);
            rate[f] = (float)((1 - rho) * rate[f] + rho * targetRate);
            expectedSum += (double)shape[f] / rate[f];
        }
        global.ActivityRate[o] = (float)((1 - rho) * global.ActivityRate[o] + rho * (global.ActivityPriorRate + expectedSum));
        return global.RefreshDerived(o, scratch, updateActivity: false);
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
