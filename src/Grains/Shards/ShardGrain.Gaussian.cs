using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The Gaussian model on a shard (docs/maths.md, "Ratings"; docs/architecture.md): a user shard owns q(x_u, b_u) of its
/// users, an item shard q(y_i, c_i) of its items. A half-step fetches the other side's means and second moments of the
/// rows its ratings need — the rows it resolved at the seal, as HPF shards fetch weight rows — and updates every row
/// with the engine's code; the sums it returns let the coordinator update the population priors, μ and σ². The
/// loading, the seal, the versions, the checkpoint slots and the rollback are HPF's.
/// </summary>
public abstract partial class ShardGrain
{
    private GaussianRows? _gaussian;
    private double[] _gaussianGathered = [];
    private GaussianHyperparameters? _gaussianCheckpointed;

    private bool IsGaussianJob => _shard?.Plan.Training.Model == ModelKind.Gaussian;

    /// <summary>The shard's Gaussian rows, made from the seed (version 0) the first time they are asked for.</summary>
    private GaussianRows GaussianRowsOf(SealedShard shard)
    {
        if (_gaussian is { } rows) return rows;
        rows = new GaussianRows(SideName, shard.Ids, shard.K);
        rows.Initialize(shard.Plan.Training.Seed);
        return _gaussian = rows;
    }

    /// <summary>Back to the seed's rows: a restore of iteration 0.</summary>
    private void ResetGaussian()
    {
        _gaussian = null;
        _gaussianCheckpointed = null;
    }

    public async Task<GaussianStepResult> GaussianHalfStep(GaussianStepRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireGaussian(request.Version - 1, "a Gaussian half-step");
        var rows = GaussianRowsOf(shard);
        var bytes = await FetchGaussianAsync(shard, request.OtherVersion, cancellationToken);
        _updating = true;
        try
        {
            // Once the rows are being updated the step runs to its end: a half-updated shard would be neither version.
            var outcome = Engine.Gaussian.GaussianHalfStep.Run(shard.Layout.Rows, _gaussianGathered, rows, request.Prior, request.Mu, request.NoiseVariance, shard.Threads);
            if (outcome.FailedRow >= 0)
            {
                _version = NoParameters;
                return new GaussianStepResult(outcome.Side, outcome.Fit, shard.Ids[outcome.FailedRow], bytes);
            }
            _version = request.Version;
            return new GaussianStepResult(outcome.Side, outcome.Fit, null, bytes);
        }
        finally
        {
            _updating = false;
        }
    }

    public Task<double[]> FetchGaussianMoments(RowFetch fetch, CancellationToken cancellationToken)
    {
        var shard = _shard;
        if (shard is null || _updating || _version != fetch.ExpectedVersion || _gaussian is null && _version != 0)
        {
            throw new ShardStateException($"{SideName} shard {GrainKey} is at version {(_updating ? "(updating)" : _version.ToString())}, " +
                $"a {OtherSideName} shard asked for Gaussian rows of version {fetch.ExpectedVersion}");
        }
        var rows = shard.Subscriptions.TrainingOf(fetch.Subscriber);
        if (fetch.Count >= 0)
        {
            if (fetch.Start < 0 || fetch.Start + fetch.Count > rows.Length)
                throw new ArgumentOutOfRangeException(nameof(fetch), $"rows [{fetch.Start}, {fetch.Start + fetch.Count}) of a list of {rows.Length}");
            rows = rows[fetch.Start..(fetch.Start + fetch.Count)];
        }
        return Task.FromResult(GaussianRowsOf(shard).Moments(rows));
    }

    public Task<GaussianShardSums> GaussianSums(CancellationToken cancellationToken)
    {
        var shard = RequireGaussian(null, "the Gaussian sums");
        var rows = GaussianRowsOf(shard);
        double sum = 0, squares = 0;
        long count = 0;
        if (IsUserSide)
        {
            foreach (var r in shard.Layout.Rows.Counts)
            {
                sum += r;
                squares += (double)r * r;
            }
            count = shard.Layout.Rows.Nonzeros;
        }
        return Task.FromResult(new GaussianShardSums(rows.Sums(), count, sum, squares));
    }

    public Task<GaussianShardRows> GaussianModelRows(int start, int count, CancellationToken cancellationToken)
    {
        var shard = RequireGaussian(null, "reading the Gaussian model");
        var rows = GaussianRowsOf(shard);
        var d = rows.Dimension;
        start = Math.Clamp(start, 0, shard.Rows);
        count = Math.Clamp(count, 0, shard.Rows - start);
        return Task.FromResult(new GaussianShardRows(shard.Rows, shard.Ids[start..(start + count)],
            rows.Mean.AsSpan(start * d, count * d).ToArray(), rows.Covariance.AsSpan(start * d * d, count * d * d).ToArray(), _gaussianCheckpointed));
    }

    /// <summary>Every row the shard's ratings need from the other side, into the gathered table, in messages of bounded size.</summary>
    private async Task<long> FetchGaussianAsync(SealedShard shard, long otherVersion, CancellationToken cancellationToken)
    {
        var layout = shard.Layout;
        var stride = GaussianRows.MomentStride(shard.K);
        if (_gaussianGathered.Length != layout.TrainingRows * stride) _gaussianGathered = new double[layout.TrainingRows * stride];
        long bytes = 0;
        // A message's row budget is counted in float32 numbers; a moment is a float64.
        var perMessage = Math.Max(1, _transfer.RowsPerMessage(2 * stride));
        await Task.WhenAll(Enumerable.Range(0, _others.Length).Select(async j =>
        {
            var count = layout.PartStart[j + 1] - layout.PartStart[j];
            for (var first = 0; first < count; first += perMessage)
            {
                var take = Math.Min(perMessage, count - first);
                var moments = await _others[j].FetchGaussianMoments(new RowFetch(shard.Plan.Shard, RowContent.Parameters, otherVersion, null, first, take), cancellationToken);
                if (moments.Length != take * stride)
                    throw new ShardStateException($"{OtherSideName} shard {j} sent {moments.Length / stride} Gaussian rows where {take} were asked for");
                foreach (var v in moments)
                {
                    if (!double.IsFinite(v)) throw new ShardStateException($"{OtherSideName} shard {j} sent Gaussian rows that are not finite");
                }
                moments.CopyTo(_gaussianGathered.AsSpan((layout.PartStart[j] + first) * stride));
                Interlocked.Add(ref bytes, moments.Length * sizeof(double));
            }
        }));
        return bytes;
    }

    private void WriteGaussianCheckpoint(Stream stream, SealedShard shard, CheckpointRequest request)
    {
        GaussianCheckpointFormat.Write(stream, GaussianRowsOf(shard), request.Gaussian, request.Iteration, request.Version, request.StepCounter);
        _gaussianCheckpointed = request.Gaussian;
    }

    /// <returns>The iteration and version the checkpoint holds.</returns>
    private (int Iteration, long Version) ReadGaussianCheckpoint(Stream stream, SealedShard shard)
    {
        var rows = new GaussianRows(SideName, shard.Ids, shard.K);
        var (iteration, version, _, hyperparameters) = GaussianCheckpointFormat.Read(stream, rows);
        if (rows.FirstNonFinite() is not null) throw new ShardStateException($"{SideName} shard {GrainKey}'s checkpoint holds Gaussian rows that are not finite");
        _gaussian = rows;
        _gaussianCheckpointed = hyperparameters;
        return (iteration, version);
    }

    private SealedShard RequireGaussian(long? version, string what)
    {
        var shard = version is { } v ? RequireVersion(v, what) : RequireParameters();
        if (shard.Plan.Training.Model != ModelKind.Gaussian)
            throw new InvalidOperationException($"{SideName} shard {GrainKey} belongs to an HPF job; {what} is for Gaussian jobs");
        return shard;
    }
}
