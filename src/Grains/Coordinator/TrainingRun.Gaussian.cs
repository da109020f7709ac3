using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// The Gaussian model's training loop over the shards (docs/maths.md, "Ratings"): per iteration the user shards'
/// half-step, the user population prior from their sums, the item shards' half-step, the item population prior, then μ
/// and σ² — the in-process trainer's steps in its order, with the sums added up here in shard order as HPF's column sums
/// are. The hyperparameters live here and go into every checkpoint, so a rollback resumes them with the rows.
/// </summary>
internal sealed partial class TrainingRun
{
    // Set by a Gaussian job's run; null (and written as such into checkpoints) for every other model.
    private GaussianHyperparameters _gaussian = null!;
    private GaussianSideSums _gaussianUserSums = null!, _gaussianItemSums = null!;

    private async Task<TrainingOutcome> GaussianTrainAsync(CancellationToken stop)
    {
        var o = _options;
        var priors = o.GaussianPriors;
        var c = _checkpoint;
        _userVersion = c.UserVersion;
        _itemVersion = c.ItemVersion;
        _steps = c.StepCounter;
        _bytes = c.BytesMoved;
        _curve = [.. c.Curve];
        _elbo = [.. c.ElboTrace];
        var users = await Task.WhenAll(_shards.Users.Select(s => s.GaussianSums(stop)));
        var items = await Task.WhenAll(_shards.Items.Select(s => s.GaussianSums(stop)));
        _gaussianUserSums = AddUp(users.Select(s => s.Side));
        _gaussianItemSums = AddUp(items.Select(s => s.Side));
        _gaussian = c.Gaussian ?? Start(users, o.Factors);

        var criterion = new StopCriterion(o.Stop, o.StopThreshold);
        _lastChecked = null;
        foreach (var point in _curve)
        {
            // Replays the checks before the checkpoint, so the rule compares with what it compared with before.
            if (o.Stop == StopRule.TrainLlk) criterion.ShouldStop(point.TrainLogLikelihood, out _);
            _lastChecked = point.TrainLogLikelihood;
        }

        var clock = Stopwatch.StartNew();
        var reason = $"reached the maximum of {o.MaxIterations} iterations";
        var iteration = c.Iteration;
        _reached = iteration;
        while (iteration < o.MaxIterations)
        {
            stop.ThrowIfCancellationRequested();
            iteration++;
            var checks = iteration % o.CheckEvery == 0 || iteration == o.MaxIterations;
            var checkpoints = _spec.CheckpointEvery > 0 && iteration % _spec.CheckpointEvery == 0 && iteration < o.MaxIterations;

            var userStep = await GaussianStepAsync(_shards.Users, new GaussianStepRequest(iteration, _userVersion + 1, _itemVersion, _gaussian.Users, _gaussian.Mu, _gaussian.NoiseVariance), iteration, "user", stop);
            _userVersion++;
            _gaussianUserSums = userStep.Side;
            if (_spec.TraceElbo) _elbo.Add(GaussianHyperUpdate.Bound(userStep.Fit, _gaussianUserSums, _gaussianItemSums, _gaussian, priors));
            _gaussian = _gaussian with { Users = GaussianHyperUpdate.Population(_gaussianUserSums, priors) };

            var itemStep = await GaussianStepAsync(_shards.Items, new GaussianStepRequest(iteration, _itemVersion + 1, _userVersion, _gaussian.Items, _gaussian.Mu, _gaussian.NoiseVariance), iteration, "item", stop);
            _itemVersion++;
            _gaussianItemSums = itemStep.Side;
            _gaussian = _gaussian with { Items = GaussianHyperUpdate.Population(_gaussianItemSums, priors) };
            var (mu, noise) = GaussianHyperUpdate.Noise(itemStep.Fit, priors);
            _gaussian = _gaussian with { Mu = mu, NoiseVariance = noise };
            var bound = GaussianHyperUpdate.Bound(itemStep.Fit, _gaussianUserSums, _gaussianItemSums, _gaussian, priors);
            if (_spec.TraceElbo) _elbo.Add(bound);
            _bytesLastStep = itemStep.Bytes;
            _bytes += userStep.Bytes + itemStep.Bytes;

            var stopNow = false;
            if (checks)
            {
                var perRating = bound / itemStep.Fit.Count;
                if (!double.IsFinite(perRating)) throw new HpfNumericException(iteration, "user", "(bound)");
                _curve.Add(new LikelihoodPoint(iteration, perRating, null, ElapsedSeconds));
                _lastChecked = perRating;
                if (o.Stop == StopRule.TrainLlk && criterion.ShouldStop(perRating, out var why))
                {
                    reason = $"{why.Replace("training log-likelihood", "bound per rating", StringComparison.Ordinal)} at iteration {iteration}";
                    stopNow = true;
                }
            }
            var done = iteration - c.Iteration;
            double? remaining = stopNow ? 0 : clock.Elapsed.TotalSeconds / done * (o.MaxIterations - iteration);
            Report(iteration, ElapsedSeconds, remaining);
            if (stopNow) break;
            if (checkpoints) await WriteCheckpointAsync(iteration, iteration / _spec.CheckpointEvery % 2, ElapsedSeconds, stop);
        }

        var seconds = ElapsedSeconds;
        var final = await WriteCheckpointAsync(iteration, CheckpointRequest.FinalSlot, seconds, stop);
        LogCompleted(_logger, _job, iteration, reason);
        return new TrainingOutcome(JobState.Completed, reason, null, iteration, seconds / Math.Max(1, iteration), _rollbacks) { Final = final, LastRollback = _lastRollback, RollbackHistory = _history };
    }

    /// <summary>One side's half-step on all its shards at once; the sums added up in shard order.</summary>
    private async Task<(GaussianSideSums Side, GaussianFitSums Fit, long Bytes)> GaussianStepAsync(IShardGrain[] shards, GaussianStepRequest request, int iteration, string side, CancellationToken stop)
    {
        var results = await Task.WhenAll(shards.Select(s => s.GaussianHalfStep(request, stop)));
        ThrowIfFailed(results.Select(r => r.FailedRow), iteration, side);
        var fit = GaussianFitSums.Zero;
        foreach (var r in results) fit = fit.Plus(r.Fit);
        return (AddUp(results.Select(r => r.Side)), fit, results.Sum(r => r.BytesFetched));
    }

    /// <summary>μ the mean training rating and σ² their variance (1 when that is 0), standard population priors: as the in-process trainer starts.</summary>
    private static GaussianHyperparameters Start(GaussianShardSums[] users, int factors)
    {
        double sum = 0, squares = 0;
        long count = 0;
        foreach (var s in users)
        {
            sum += s.RatingSum;
            squares += s.RatingSquares;
            count += s.Ratings;
        }
        var mu = sum / Math.Max(1, count);
        var variance = squares / Math.Max(1, count) - mu * mu;
        return new GaussianHyperparameters(mu, variance > 1e-12 ? variance : 1.0, GaussianPopulation.Standard(factors), GaussianPopulation.Standard(factors));
    }

    private static GaussianSideSums AddUp(IEnumerable<GaussianSideSums> parts)
    {
        GaussianSideSums? total = null;
        foreach (var part in parts) total = total is null ? part : total.Plus(part);
        return total ?? throw new InvalidOperationException("a side with no shards");
    }
}
