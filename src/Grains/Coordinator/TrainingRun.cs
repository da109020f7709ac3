using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Shards;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// The training loop of one job, as its coordinator runs it over the shards: full batch (user half-step, then item
/// half-step, each over all shards of the side in parallel, with the column sums aggregated here in between) or
/// SVI (mini-batches of the local side, then the global step on the other), the likelihood checks and the stop
/// rule, checkpoints, and the NaN guard, as the in-process trainer does them. A shard call that fails (a lost silo,
/// a shard that lost its state) rolls every shard back to the last complete checkpoint and goes on from there.
/// </summary>
internal sealed partial class TrainingRun
{
    /// <summary>Failed attempts in a row (no checkpoint completed in between) before the job is failed.</summary>
    public const int MaxConsecutiveRollbacks = 5;

    private readonly string _job;
    private readonly JobSpec _spec;
    private readonly TrainingOptions _options;
    private readonly DataSummary _data;
    private readonly ShardSet _shards;
    private readonly ILogger _logger;
    private readonly Func<TrainingCheckpoint, Task> _checkpointed;
    private readonly Action<LiveProgress> _progress;
    private readonly Func<TimeSpan, CancellationToken, Task> _waitForView;
    private readonly Func<CancellationToken, Task> _waitForSiloLoss;
    private readonly Func<int> _deadSilos;
    private TrainingCheckpoint _checkpoint;
    // Training time is wall time from the checkpoint this run started from: a rollback's stall (detection, the
    // membership wait, the work lost since the checkpoint) is part of what the user waited for, so it is counted.
    private readonly double _elapsedAtStart;
    private readonly Stopwatch _sinceStart = Stopwatch.StartNew();
    private int _rollbacks;
    private string? _lastRollback;
    private JobRollback[] _history;
    // The last iteration finished, for the rollback's record of the work it lost.
    private int _reached;
    private bool _siloLost;

    // The live state of the run, valid between two shard steps.
    private long _userVersion, _itemVersion, _steps;
    private double[] _userSums = [], _itemSums = [];
    private List<LikelihoodPoint> _curve = [];
    private List<double> _elbo = [];
    private long _bytes, _bytesLastStep;
    private double? _lastChecked;
    // Full batch: this attempt's token for the shards' pushes, and whether the item shards pushed their current rows.
    private long _runToken;
    private bool _itemsPushed;
    private (Task<HalfStepResult[]> Steps, CancellationTokenSource Cancel)? _nextUserSteps;

    public TrainingRun(string job, JobSpec spec, DataSummary data, ShardSet shards, TrainingCheckpoint from, int rollbacks, JobRollback[] history, ILogger logger,
        Func<TrainingCheckpoint, Task> checkpointed, Action<LiveProgress> progress, Func<TimeSpan, CancellationToken, Task> waitForView,
        Func<CancellationToken, Task> waitForSiloLoss, Func<int> deadSilos)
    {
        _job = job;
        _spec = spec;
        _options = spec.Training;
        _data = data;
        _shards = shards;
        _checkpoint = from;
        _elapsedAtStart = from.ElapsedSeconds;
        _rollbacks = rollbacks;
        _history = history;
        _reached = from.Iteration;
        _logger = logger;
        _checkpointed = checkpointed;
        _progress = progress;
        _waitForView = waitForView;
        _waitForSiloLoss = waitForSiloLoss;
        _deadSilos = deadSilos;
    }

    private double ElapsedSeconds => _elapsedAtStart + _sinceStart.Elapsed.TotalSeconds;

    /// <param name="restoreFirst">The shards may not hold the checkpoint's parameters (a resumed job): restore them before the first step.</param>
    /// <param name="stop">Cancelled to stop (the user cancelled, or the coordinator is deactivating): the run ends after the current step.</param>
    public async Task<TrainingOutcome> RunAsync(bool restoreFirst, CancellationToken stop)
    {
        var failuresInARow = 0;
        var restore = restoreFirst;
        while (true)
        {
            var deadAtStart = _deadSilos();
            try
            {
                // An attempt ends as soon as the cluster declares a silo dead: calls in flight on it would otherwise
                // end only at Orleans' response timeout (30 s), and a shard waiting for its pushes as long.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var watch = CancelOnSiloLossAsync(attempt);
                try
                {
                    if (restore) await RestoreAsync(attempt.Token);
                    return await TrainAsync(attempt.Token);
                }
                finally
                {
                    await attempt.CancelAsync();
                    await watch;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopped (cancelled, or the coordinator deactivating) while a call was failing: the failure is the
                // next activation's to handle, from the last complete checkpoint.
                return TrainingOutcome.Stopped(_rollbacks);
            }
            catch (ObjectDisposedException)
            {
                // This coordinator's own silo is gone (its runtime was torn down under it): another activation takes
                // the job over from storage; this one must not write anything.
                return TrainingOutcome.Stopped(_rollbacks);
            }
            catch (HpfNumericException e)
            {
                return Failed(e.Message, JobFailure.Numeric);
            }
            catch (Exception e) when (IsRecoverable(e) && !stop.IsCancellationRequested)
            {
                failuresInARow++;
                // Let the membership view settle (a dead silo voted out) before the shards are placed again, and before
                // the reason is told: a call can fail on a silo's death (cancelled by a shard that saw it first) a moment
                // before this silo's view has the death.
                try
                {
                    await _waitForView(TimeSpan.FromSeconds(Math.Min(10, failuresInARow * 2)), stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return TrainingOutcome.Stopped(_rollbacks);
                }
                var (why, siloLost) = RollbackReason.Of(e);
                if (!siloLost && (_siloLost || _deadSilos() > deadAtStart)) (why, siloLost) = ("a silo was declared dead", true);
                if (failuresInARow > MaxConsecutiveRollbacks)
                    return Failed($"gave up after {MaxConsecutiveRollbacks} attempts to go on from the checkpoint of iteration {_checkpoint.Iteration}: {why}", JobFailure.Cluster);
                _rollbacks++;
                _lastRollback = $"back to the checkpoint of iteration {_checkpoint.Iteration}: {why}";
                _history = JobRollback.Append(_history, new JobRollback(DateTimeOffset.UtcNow, _reached, _checkpoint.Iteration, why, siloLost));
                _siloLost = false;
                LogRollback(_logger, e, _job, _checkpoint.Iteration, failuresInARow);
                restore = true;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                return Failed(e.Message, JobFailure.Cluster);
            }
        }
    }

    private async Task CancelOnSiloLossAsync(CancellationTokenSource attempt)
    {
        try
        {
            await _waitForSiloLoss(attempt.Token);
            LogSiloLost(_logger, _job);
            _siloLost = true;
            await attempt.CancelAsync();
        }
        catch (OperationCanceledException)
        {
            // The attempt ended first.
        }
    }

    private TrainingOutcome Failed(string error, JobFailure failure)
    {
        LogFailed(_logger, _job, error);
        return new TrainingOutcome(JobState.Failed, null, error, _checkpoint.Iteration, 0, _rollbacks) { Failure = failure, LastRollback = _lastRollback, RollbackHistory = _history };
    }

    /// <summary>A failure of the cluster rather than of the job: a call that could not reach or complete on a silo, or a shard whose state is not what it should be.</summary>
    private static bool IsRecoverable(Exception e) => e switch
    {
        // A silo that could not be reached or died with the call (Orleans' own exceptions), a shard whose state is not
        // what it should be, a call cancelled by something other than this run's stop token (a silo shutting down).
        OrleansException or ShardStateException or TimeoutException or IOException or OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsRecoverable),
        _ => false,
    };

    private async Task RestoreAsync(CancellationToken stop)
    {
        var c = _checkpoint;
        var users = _shards.Users.Select(s => s.RestoreCheckpoint(new CheckpointRequest(c.Iteration, c.Slot, c.UserVersion, c.StepCounter), _shards, stop));
        var items = _shards.Items.Select(s => s.RestoreCheckpoint(new CheckpointRequest(c.Iteration, c.Slot, c.ItemVersion, c.StepCounter), _shards, stop));
        await Task.WhenAll(users.Concat(items));
        LogRestored(_logger, _job, c.Iteration);
    }

    private async Task<TrainingOutcome> TrainAsync(CancellationToken stop)
    {
        if (_options.Model == ModelKind.Gaussian) return await GaussianTrainAsync(stop);
        var o = _options;
        var c = _checkpoint;
        _userVersion = c.UserVersion;
        _itemVersion = c.ItemVersion;
        _steps = c.StepCounter;
        _bytes = c.BytesMoved;
        _curve = [.. c.Curve];
        _elbo = [.. c.ElboTrace];
        _runToken = Random.Shared.NextInt64();
        _itemsPushed = false;
        _groupSums = null;
        _userSums = await SumAsync(_shards.Users, stop);
        _itemSums = await SumAsync(_shards.Items, stop);
        var criterion = new StopCriterion(o.Stop, o.StopThreshold, o.IsStochastic);
        _lastChecked = null;
        foreach (var point in _curve)
        {
            // Replays the checks before the checkpoint, so the rule compares with what it compared with before.
            var value = o.Stop == StopRule.ValLlk ? point.ValidationLogLikelihood : point.TrainLogLikelihood;
            if (o.Stop is StopRule.TrainLlk or StopRule.ValLlk && value is { } v) criterion.ShouldStop(v, out _);
            _lastChecked = value;
        }
        if (_spec.TraceElbo && _elbo.Count == 0 && !o.IsStochastic) _elbo.Add(await ElboAsync(stop));

        var clock = Stopwatch.StartNew();
        var reason = $"reached the maximum of {o.MaxIterations} iterations";
        var iteration = c.Iteration;
        _reached = iteration;
        try
        {
            while (iteration < o.MaxIterations)
            {
                stop.ThrowIfCancellationRequested();
                iteration++;
                var checks = iteration % o.CheckEvery == 0 || iteration == o.MaxIterations;
                var checkpoints = _spec.CheckpointEvery > 0 && iteration % _spec.CheckpointEvery == 0 && iteration < o.MaxIterations;
                if (o.IsStochastic) await EpochAsync(iteration, stop);
                else if (o.Model == ModelKind.Budget) await BudgetIterationAsync(iteration, stop);
                else await FullBatchIterationAsync(iteration, askNextEarly: !checks && !checkpoints && !_spec.TraceElbo, stop);

                var stopNow = false;
                if (checks)
                {
                    var check = await CheckAsync(iteration, ElapsedSeconds, stop);
                    if (o.Stop != StopRule.MaxIter && criterion.ShouldStop(check, out var why))
                    {
                        reason = $"{why} at iteration {iteration}";
                        stopNow = true;
                    }
                }
                var elapsed = ElapsedSeconds;
                var done = iteration - c.Iteration;
                double? remaining = stopNow ? 0 : clock.Elapsed.TotalSeconds / done * (o.MaxIterations - iteration);
                Report(iteration, elapsed, remaining);
                if (stopNow) break;
                if (checkpoints)
                {
                    var slot = iteration / _spec.CheckpointEvery % 2;
                    await WriteCheckpointAsync(iteration, slot, ElapsedSeconds, stop);
                }
            }
        }
        finally
        {
            // A user step asked for ahead of an iteration that will not run (a failure, a stop) still waits in its shards.
            await AbandonNextUserStepsAsync();
        }

        var seconds = ElapsedSeconds;
        // The finished model goes to the final slot of every shard; only then is the job complete.
        var final = await WriteCheckpointAsync(iteration, CheckpointRequest.FinalSlot, seconds, stop);
        LogCompleted(_logger, _job, iteration, reason);
        return new TrainingOutcome(JobState.Completed, reason, null, iteration, seconds / Math.Max(1, iteration), _rollbacks) { Final = final, LastRollback = _lastRollback, RollbackHistory = _history };
    }

    /// <param name="askNextEarly">
    /// The coordinator has nothing to do between this iteration and the next (no check, checkpoint or ELBO): the next
    /// iteration's user step is asked for as soon as this one's user step returns, so it waits in the user shards for
    /// the item shards' pushes instead of for this coordinator's round trip after the item step.
    /// </param>
    private async Task FullBatchIterationAsync(int iteration, bool askNextEarly, CancellationToken stop)
    {
        // Stopping cancels the calls, not the shards' updates: a shard that got its step finishes it, and a stopped run
        // is only ever resumed from a checkpoint, so a step the coordinator did not see complete is simply redone.
        //
        // Both half-steps are asked for at once. The user shards push their rows and partial sums to the item shards
        // when their step ends, and the item shards push theirs back for the next iteration, so no step waits on a
        // fetch's round trip, nor the item step on this coordinator. Only the first user step of a run fetches (no
        // push precedes it), with the sums from here.
        var (userSteps, step) = _nextUserSteps ?? StartUserSteps(iteration, _itemVersion, pulled: !_itemsPushed, stop);
        _nextUserSteps = null;
        using var release = step;
        var pushBack = iteration < _options.MaxIterations;
        var itemRequest = new HalfStepRequest(iteration, _itemVersion + 1, _userVersion + 1, null, _runToken, pushBack);
        // With the ELBO traced, the item step waits for the ELBO between the two (it would otherwise run meanwhile).
        var itemSteps = _spec.TraceElbo ? null : StartItemSteps();

        HalfStepResult[] users;
        try
        {
            users = await userSteps;
            ThrowIfFailed(users.Select(r => r.FailedRow), iteration, "user");
        }
        catch
        {
            // The item shards wait for pushes that will not come: release them before the failure is handled.
            await AbandonAsync(step, itemSteps);
            throw;
        }
        _userVersion++;
        _userSums = AddUp(users.Select(r => r.ColumnSums));
        var bytes = users.Sum(r => r.BytesFetched);
        if (_spec.TraceElbo) _elbo.Add(await ElboAsync(stop));
        stop.ThrowIfCancellationRequested();

        itemSteps ??= StartItemSteps();
        if (askNextEarly && pushBack) _nextUserSteps = StartUserSteps(iteration + 1, _itemVersion + 1, pulled: false, stop);
        var items = await itemSteps;
        ThrowIfFailed(items.Select(r => r.FailedRow), iteration, "item");
        _itemVersion++;
        _itemsPushed = pushBack;
        _itemSums = AddUp(items.Select(r => r.ColumnSums));
        _bytesLastStep = items.Sum(r => r.BytesFetched);
        _bytes += bytes + _bytesLastStep;
        if (_spec.TraceElbo) _elbo.Add(await ElboAsync(stop));

        Task<HalfStepResult[]> StartItemSteps() => AllOrFirstFailureAsync(_shards.Items.Select(s => s.HalfStep(itemRequest, step.Token)), step);
    }

    /// <summary>
    /// Asks every user shard for its step of <paramref name="iteration"/> against the item rows of
    /// <paramref name="itemVersion"/>, fetched with the sums from here (<paramref name="pulled"/>) or pushed. The token
    /// source is the step's own: cancelling it releases shards that wait for pushes.
    /// </summary>
    private (Task<HalfStepResult[]> Steps, CancellationTokenSource Cancel) StartUserSteps(int iteration, long itemVersion, bool pulled, CancellationToken stop)
    {
        var step = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var request = new HalfStepRequest(iteration, _userVersion + 1, itemVersion, pulled ? _itemSums : null, _runToken, PushRows: true);
        return (AllOrFirstFailureAsync(_shards.Users.Select(s => s.HalfStep(request, step.Token)), step), step);
    }

    /// <summary>
    /// The steps' results. The first step that fails cancels <paramref name="step"/>, so its siblings and the other
    /// side's steps of the iteration stop waiting for pushes it will not send (else they would wait out the call
    /// timeout); the failure is what is thrown, not the cancellations it caused.
    /// </summary>
    private static async Task<HalfStepResult[]> AllOrFirstFailureAsync(IEnumerable<Task<HalfStepResult>> calls, CancellationTokenSource step)
    {
        var tasks = calls.ToArray();
        foreach (var task in tasks)
        {
            _ = task.ContinueWith(static (_, source) =>
            {
                try
                {
                    ((CancellationTokenSource)source!).Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The iteration is over: nothing waits on its token any more.
                }
            }, step, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        try
        {
            return await Task.WhenAll(tasks);
        }
        catch
        {
            foreach (var task in tasks)
            {
                if (task.IsFaulted) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(task.Exception!.InnerException!);
            }
            throw;
        }
    }

    /// <summary>Cancels steps that can no longer complete (they wait for pushes that will not come) and waits until they have ended.</summary>
    private static async Task AbandonAsync(CancellationTokenSource step, Task? steps)
    {
        await step.CancelAsync();
        if (steps is null) return;
        await Task.WhenAny(steps);
        _ = steps.Exception;   // observed: the failure that made them useless is the one reported
    }

    private async Task AbandonNextUserStepsAsync()
    {
        if (_nextUserSteps is not { } next) return;
        _nextUserSteps = null;
        using (next.Cancel) await AbandonAsync(next.Cancel, next.Steps);
    }

    /// <summary>One SVI epoch over the local side (HPF-MATH.md, "SVI"); with both batch sizes set, odd iterations are user epochs.</summary>
    private async Task EpochAsync(int iteration, CancellationToken stop)
    {
        var o = _options;
        var userEpoch = o.IsUserEpoch(iteration);
        IShardGrain[] local = userEpoch ? _shards.Users : _shards.Items;
        IShardGrain[] global = userEpoch ? _shards.Items : _shards.Users;
        var rows = userEpoch ? _data.Users : _data.Items;
        var batchSize = userEpoch ? o.UserBatchSize(rows)!.Value : o.ItemBatchSize(rows)!.Value;
        var batches = (int)Math.Max(1, (rows + batchSize - 1) / batchSize);
        var step = StepSize.From(o);
        for (var b = 0; b < batches; b++)
        {
            stop.ThrowIfCancellationRequested();
            var localVersion = userEpoch ? _userVersion : _itemVersion;
            var globalVersion = userEpoch ? _itemVersion : _userVersion;
            var globalSums = userEpoch ? _itemSums : _userSums;
            var t = _steps + 1;
            var results = await Task.WhenAll(local.Select(s =>
                s.LocalStep(new LocalStepRequest(iteration, b, batches, t, localVersion + 1, globalVersion, globalSums), stop)));
            ThrowIfFailed(results.Select(r => r.FailedRow), iteration, userEpoch ? "user" : "item");
            var localSums = AddUp([userEpoch ? _userSums : _itemSums, .. results.Select(r => r.ColumnSumDelta)]);
            SetSums(userEpoch, localSums, localVersion + 1);
            var inBatch = results.Sum(r => r.Rows);
            var bytes = results.Sum(r => r.BytesFetched + r.BytesSent);
            if (inBatch > 0)
            {
                _steps = t;
                var scale = (double)rows / inBatch;
                var updates = await Task.WhenAll(global.Select(s =>
                    s.GlobalStep(new GlobalStepRequest(t, globalVersion + 1, step.At(t), scale, localSums), stop)));
                ThrowIfFailed(updates.Select(r => r.FailedRow), iteration, userEpoch ? "item" : "user");
                SetSums(!userEpoch, AddUp([globalSums, .. updates.Select(r => r.ColumnSumDelta)]), globalVersion + 1);
            }
            _bytesLastStep = bytes;
            _bytes += bytes;
        }
        // The running sums drift by rounding over many batches; start each epoch from exact ones, as the engine does.
        _userSums = await SumAsync(_shards.Users, stop);
        _itemSums = await SumAsync(_shards.Items, stop);
    }

    private void SetSums(bool users, double[] sums, long version)
    {
        if (users)
        {
            _userSums = sums;
            _userVersion = version;
        }
        else
        {
            _itemSums = sums;
            _itemVersion = version;
        }
    }

    /// <returns>The value the stop rule checks.</returns>
    private async Task<double> CheckAsync(int iteration, double elapsed, CancellationToken stop)
    {
        var o = _options;
        var groupSums = o.Model == ModelKind.Budget ? await GroupSumsAsync(stop) : null;
        var parts = await Task.WhenAll(_shards.Users.Select(s =>
            s.Check(new CheckRequest(_userVersion, _itemVersion, o.Stop == StopRule.DiffNorm) { GroupSums = groupSums }, stop)));
        double train = 0, validationSum = 0, diff = 0;
        long validationCount = 0;
        foreach (var p in parts)
        {
            train += p.TrainTerm;
            validationSum += p.ValidationSum;
            validationCount += p.ValidationCount;
            diff += p.DiffNormSquared;
            _bytes += p.BytesFetched;
        }
        // The budget model's terms are all the user shards' (its zeros are the group totals' normalisers).
        if (o.Model != ModelKind.Budget) train -= PoissonLikelihood.ZerosTerm(_userSums, _itemSums, o.Factors, o.Members);
        if (!double.IsFinite(train)) throw new HpfNumericException(iteration, "user", "(training log-likelihood)");
        double? validation = validationCount > 0 ? validationSum / validationCount : null;
        _curve.Add(new LikelihoodPoint(iteration, train, validation, elapsed));
        _lastChecked = o.Stop == StopRule.ValLlk ? validation : train;
        return o.Stop switch
        {
            StopRule.DiffNorm => Math.Sqrt(diff),
            StopRule.ValLlk => validation ?? throw new InvalidOperationException("the val-llk rule needs validation nonzeros whose user and item are in the training data"),
            _ => train,
        };
    }

    private async Task<double> ElboAsync(CancellationToken stop)
    {
        var request = new CheckRequest(_userVersion, _itemVersion, false)
        {
            GroupSums = _options.Model == ModelKind.Budget ? await GroupSumsAsync(stop) : null,
        };
        var users = await Task.WhenAll(_shards.Users.Select(s => s.Elbo(request with { Version = _userVersion, OtherVersion = _itemVersion }, stop)));
        var items = await Task.WhenAll(_shards.Items.Select(s => s.Elbo(request with { Version = _itemVersion, OtherVersion = _userVersion }, stop)));
        var elbo = users.Sum(p => p.Terms) + items.Sum(p => p.Terms);
        if (_options.Model == ModelKind.Budget) return elbo;
        var userSums = AddUp(users.Select(p => p.ColumnSums));
        var itemSums = AddUp(items.Select(p => p.ColumnSums));
        for (var k = 0; k < _options.Factors; k++) elbo -= userSums[k] * itemSums[k];
        return elbo;
    }

    private async Task<TrainingCheckpoint> WriteCheckpointAsync(int iteration, int slot, double elapsed, CancellationToken stop)
    {
        // A Gaussian job's population priors, μ and σ² go into the shards' checkpoints and the coordinator's (null for other models).
        var users = _shards.Users.Select(s => s.WriteCheckpoint(new CheckpointRequest(iteration, slot, _userVersion, _steps) { Gaussian = _gaussian }, stop));
        var items = _shards.Items.Select(s => s.WriteCheckpoint(new CheckpointRequest(iteration, slot, _itemVersion, _steps) { Gaussian = _gaussian }, stop));
        var written = await Task.WhenAll(users.Concat(items));
        var checkpoint = new TrainingCheckpoint
        {
            Iteration = iteration,
            Slot = slot,
            UserVersion = _userVersion,
            ItemVersion = _itemVersion,
            StepCounter = _steps,
            ElapsedSeconds = elapsed,
            BytesMoved = _bytes,
            BytesLastHalfStep = _bytesLastStep,
            Curve = [.. _curve],
            ElboTrace = [.. _elbo],
            Gaussian = _gaussian,
        };
        if (slot != CheckpointRequest.FinalSlot)
        {
            // Complete only now that every shard has written it: from here on a rollback comes back to this iteration.
            _checkpoint = checkpoint;
            await _checkpointed(checkpoint);
        }
        // Logged once the job's state names the checkpoint: a coordinator declared dead while its shards wrote (frozen,
        // say) finds that write refused and logs no completion, where it used to log one its state never recorded.
        LogCheckpoint(_logger, _job, iteration, slot, written.Sum(w => w.Bytes), written.Max(w => w.Seconds));
        return checkpoint;
    }

    private void Report(int iteration, double elapsed, double? remaining)
    {
        _reached = iteration;
        _progress(new LiveProgress(iteration, _lastChecked, elapsed, remaining, _bytes, _bytesLastStep, [.. _curve], [.. _elbo], _rollbacks, _lastRollback, _history));
    }

    private static async Task<double[]> SumAsync(IShardGrain[] shards, CancellationToken stop) =>
        AddUp(await Task.WhenAll(shards.Select(s => s.ColumnSums(stop))));

    /// <summary>Σ of the shards' partial sums in shard order, so the total does not depend on which answered first.</summary>
    private static double[] AddUp(IEnumerable<double[]> parts)
    {
        double[]? total = null;
        foreach (var part in parts)
        {
            total ??= new double[part.Length];
            for (var k = 0; k < part.Length; k++) total[k] += part[k];
        }
        return total ?? [];
    }

    private void ThrowIfFailed(IEnumerable<string?> failedRows, int iteration, string side)
    {
        var shard = 0;
        foreach (var row in failedRows)
        {
            if (row is not null) throw new HpfNumericException(iteration, side, row, $"{side} shard {shard}");
            shard++;
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Job {Job}: a shard call failed; rolling back to the checkpoint of iteration {Iteration} (attempt {Attempt})")]
    private static partial void LogRollback(ILogger logger, Exception exception, string job, int iteration, int attempt);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Job {Job}: shards restored to iteration {Iteration}")]
    private static partial void LogRestored(ILogger logger, string job, int iteration);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Job {Job}: checkpoint of iteration {Iteration} in slot {Slot} complete, {Bytes} bytes, slowest shard {Seconds:F2} s")]
    private static partial void LogCheckpoint(ILogger logger, string job, int iteration, int slot, long bytes, double seconds);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Job {Job} completed after {Iterations} iterations: {Reason}")]
    private static partial void LogCompleted(ILogger logger, string job, int iterations, string reason);

    [LoggerMessage(EventId = 504, Level = LogLevel.Error, Message = "Job {Job} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string job, string error);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Job {Job}: a silo was declared dead; the current attempt ends and the shards roll back")]
    private static partial void LogSiloLost(ILogger logger, string job);
}
