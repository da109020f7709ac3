using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// Turns the statuses a poll reads into the progress reports the in-process trainer sends, so one display shows both.
/// A poll sees the job every few hundred milliseconds and may skip iterations; the likelihood checks it skipped are
/// still in the status's curve, so each is reported at its own iteration (what the redirected display prints).
/// </summary>
internal sealed class JobProgressFeed(int maxIterations, StopRule rule)
{
    private int _reported;
    private int _checksReported;
    private bool _finished;

    public void Report(JobStatus status, IProgress<TrainingProgress> sink)
    {
        if (_finished) return;
        var finalReported = false;
        foreach (var point in status.Curve)
        {
            // A check the curve shows only later is still reported at its own iteration: the printed lines are the checks.
            if (point.Iteration <= _checksReported || point.Iteration > status.Iteration) continue;
            var final = status.IsFinished && point.Iteration == status.Iteration;
            var llk = rule == StopRule.ValLlk ? point.ValidationLogLikelihood ?? point.TrainLogLikelihood : point.TrainLogLikelihood;
            sink.Report(new TrainingProgress(point.Iteration, maxIterations, llk, TimeSpan.FromSeconds(point.Seconds),
                final ? TimeSpan.Zero : Remaining(point.Iteration, point.Seconds)));
            _checksReported = point.Iteration;
            _reported = Math.Max(_reported, point.Iteration);
            finalReported |= final;
        }
        if (status.IsFinished)
        {
            // The last report says "nothing left", which is how the display knows the run is over (unless a poll already
            // showed this iteration: the display would print it twice).
            if (!finalReported && status.Iteration > _reported) sink.Report(Current(status, TimeSpan.Zero));
            _finished = true;
            return;
        }
        if (status.Iteration > _reported)
        {
            sink.Report(Current(status, status.RemainingSeconds is { } r ? TimeSpan.FromSeconds(r) : null));
            _reported = status.Iteration;
        }
    }

    private TrainingProgress Current(JobStatus status, TimeSpan? remaining) =>
        new(status.Iteration, maxIterations, status.LogLikelihood, TimeSpan.FromSeconds(status.ElapsedSeconds), remaining);

    /// <summary>As the trainer estimates it: the mean pace so far, to the iteration bound.</summary>
    private TimeSpan? Remaining(int iteration, double seconds) =>
        iteration > 0 ? TimeSpan.FromSeconds(seconds / iteration * (maxIterations - iteration)) : null;
}
