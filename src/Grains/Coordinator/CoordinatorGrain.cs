using System.Diagnostics;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Grains.Shards;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// One per job: creates and places the shards, takes the uploads, seals the data and runs the training loop
/// (<see cref="TrainingRun"/>) in the background, persisting its state at every complete checkpoint. Reentrant, so
/// a status read is answered while a seal or a cancellation is in progress; the operations that change the job
/// take one lock. An activation that finds a training job resumes it from its last complete checkpoint.
/// </summary>
[Reentrant]
public sealed partial class CoordinatorGrain(
    [PersistentState("job", HpfStorage.StateProvider)] IPersistentState<CoordinatorRecord> record,
    IClusterMembershipService membership,
    SiloLossSignal siloLoss,
    ILogger<CoordinatorGrain> logger) : Grain, ICoordinatorGrain
{
    /// <summary>The activation stays while training runs in the background (no call keeps it busy then).</summary>
    private static readonly TimeSpan RunKeepAlive = TimeSpan.FromDays(7);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private CoordinatorState? _state;
    private LiveProgress? _live;
    private Task? _run;
    private CancellationTokenSource? _runStop;

    private string Job => this.GetPrimaryKeyString();

    /// <summary>How often an activation reads the job again and retries its claim when another writer got there first.</summary>
    private const int ClaimAttempts = 4;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TakeOverAsync(cancellationToken);
                return;
            }
            catch (InconsistentStateException) when (attempt < ClaimAttempts)
            {
                // An older activation wrote the job after this one read it: its silo was declared dead but had not yet
                // stopped, and saved one more checkpoint. Read what it wrote and claim the job from there; the claim's
                // new etag is what stops the older one.
                LogClaimRetried(logger, Job, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
                await record.ReadStateAsync(cancellationToken);
            }
        }
    }

    private async Task TakeOverAsync(CancellationToken cancellationToken)
    {
        _state = record.State.Job;
        if (_state is { State: JobState.Loading, Sealing: true })
        {
            // The activation that was sealing is gone, and the shards' unsealed triplets may have gone with their silos.
            _state = _state with
            {
                State = JobState.Failed, Sealing = false, Failure = JobFailure.Cluster, Updated = DateTimeOffset.UtcNow,
                Error = $"the seal of job '{Job}' was interrupted (its coordinator's silo stopped); create the job and upload its data again",
            };
            await SaveAsync(cancellationToken);
        }
        if (_state is { State: JobState.Training })
        {
            // Claim the job: a write gives the state a new etag, so an older activation still running somewhere (a
            // silo voted dead, a frozen process) can no longer write it.
            // The progress since the checkpoint went with the old activation: on the page's list, a rollback of its own.
            var resumed = new JobRollback(DateTimeOffset.UtcNow, null, _state.Checkpoint.Iteration,
                $"resumed by a new coordinator on silo {RuntimeIdentity} (the previous coordinator stopped)", SiloLost: false);
            _state = _state with { Updated = DateTimeOffset.UtcNow, RollbackHistory = JobRollback.Append(_state.RollbackHistory, resumed) };
            await SaveAsync(cancellationToken);
            LogResuming(logger, Job, _state.Checkpoint.Iteration);
            StartRun(restoreFirst: true);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The job stays Training in storage: the next activation resumes it from its last complete checkpoint.
        await StopRunAsync();
    }

    public async Task<JobStatus> Create(JobSpec spec, bool replace, CancellationToken cancellationToken)
    {
        spec.Validate();
        if (JobStore.NameProblem(Job) is { } problem) throw new ArgumentException(problem);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_state is not null)
            {
                if (!replace) throw new JobConflictException($"job '{Job}' already exists ({Word(_state.State)}); replace it or choose another name");
                await DeleteCoreAsync(cancellationToken);
            }
            var silos = ActiveSiloCount();
            var users = spec.UserShards > 0 ? spec.UserShards : JobSpec.DefaultShards(spec.ExpectedNonzeros, silos);
            var items = spec.ItemShards > 0 ? spec.ItemShards : JobSpec.DefaultShards(spec.ExpectedNonzeros, silos);
            var now = DateTimeOffset.UtcNow;
            _state = new CoordinatorState
            {
                Spec = spec,
                State = JobState.Created,
                Created = now,
                Updated = now,
                UserShards = users,
                ItemShards = items,
            };
            _live = null;
            await SaveAsync(cancellationToken);
            LogCreated(logger, Job, users, items);
            return Status();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<ShardSet> BeginUpload(DataSetKind kind, string source, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = RequireState();
            if (state.State is not (JobState.Created or JobState.Loading))
                throw new JobConflictException($"job '{Job}' is {Word(state.State)}: data can only be uploaded before it starts");
            if (state.Uploads.Any(u => u.Kind == kind))
                throw new JobConflictException($"job '{Job}' already has its {Word(kind)} data; create it again to upload other data");
            _state = state with { State = JobState.Loading, LoadStarted = state.LoadStarted ?? DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow };
            await SaveAsync(cancellationToken);
            return Shards();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<JobStatus> CompleteUpload(UploadSummary summary, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = RequireState();
            if (state.State != JobState.Loading) throw new JobConflictException($"job '{Job}' is {Word(state.State)}, not loading");
            _state = state with { Uploads = [.. state.Uploads, summary], Updated = DateTimeOffset.UtcNow };
            await SaveAsync(cancellationToken);
            return Status();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RefuseUpload(UploadRefusal refusal, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            LogRefused(logger, Job, refusal.Source, refusal.TotalErrors);
            await DeleteCoreAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<JobStatus> Start(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = RequireState();
            if (state.State != JobState.Loading || state.Sealing || !state.Uploads.Any(u => u.Kind == DataSetKind.Training))
                throw new JobConflictException($"job '{Job}' is {Word(state.State)}{(state.Sealing ? " (sealing)" : "")}: it starts once, after its training data are uploaded");
            _state = state with { Sealing = true, Updated = DateTimeOffset.UtcNow };
            await SaveAsync(cancellationToken);
            StartRun(restoreFirst: false, sealFirst: true);
            return Status();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The seal, on the run's task: true when the job may train; otherwise the job has failed or was stopped.</summary>
    private async Task<bool> SealInBackgroundAsync(CancellationToken stop)
    {
        var state = _state!;
        string? problem;
        DataSummary data;
        try
        {
            data = await SealAsync(state, stop);
            problem = state.Spec.Training.Stop == StopRule.ValLlk && data.ValidationNonzeros == 0
                ? "the val-llk stop rule needs a validation set with at least one nonzero whose user and item are in the training data"
                : null;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (DataProblem(e) is { } refused)
        {
            var source = state.Uploads.First(u => u.Kind == DataSetKind.Training).Source;
            await FailSealAsync(JobFailure.Data, $"{source}: {refused}; nothing of the job's data was kept");
            return false;
        }
        catch (Exception e)
        {
            await FailSealAsync(JobFailure.Cluster, $"sealing the shards of job '{Job}' failed: {e.Message}");
            return false;
        }
        if (problem is not null)
        {
            await FailSealAsync(JobFailure.Data, problem);
            return false;
        }
        var loaded = state.LoadStarted is { } began ? (DateTimeOffset.UtcNow - began).TotalSeconds : 0;
        _state = _state! with { State = JobState.Training, Sealing = false, Data = data, LoadSeconds = loaded, Updated = DateTimeOffset.UtcNow };
        await SaveAsync(CancellationToken.None);
        LogSealed(logger, Job, data.Users, data.Items, data.Nonzeros, loaded);
        return true;
    }

    /// <summary>A seal that cannot go on: the shards drop what they hold, and the job records why.</summary>
    private async Task FailSealAsync(JobFailure failure, string error)
    {
        var shards = Shards();
        try
        {
            await Task.WhenAll(shards.Users.Select(s => s.Discard(CancellationToken.None))
                .Concat(shards.Items.Select(s => s.Discard(CancellationToken.None))));
        }
        catch (Exception e)
        {
            LogRunFault(logger, e, Job);
        }
        _state = _state! with { State = JobState.Failed, Sealing = false, Failure = failure, Error = error, Updated = DateTimeOffset.UtcNow };
        await SaveAsync(CancellationToken.None);
        LogSealFailed(logger, Job, error);
    }

    public Task<JobStatus?> GetStatus(CancellationToken cancellationToken) => Task.FromResult(_state is null ? null : Status());

    public async Task<JobStatus> Cancel(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = RequireState();
            if (state.State is JobState.Completed or JobState.Failed or JobState.Cancelled) return Status();
            await StopRunAsync();
            // The run may have finished on its own meanwhile.
            if (_state!.State is JobState.Completed or JobState.Failed) return Status();
            _state = _state with { State = JobState.Cancelled, Sealing = false, StopReason = "cancelled", Updated = DateTimeOffset.UtcNow };
            await SaveAsync(CancellationToken.None);
            LogCancelled(logger, Job);
            return Status();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task Delete(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            RequireState();
            await DeleteCoreAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<ShardSet> GetShards(CancellationToken cancellationToken)
    {
        RequireState();
        return Task.FromResult(Shards());
    }

    public async Task<PartialFitResult> PartialFit(PartialFitRequest request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = RequireState();
            if (state.State != JobState.Completed)
                throw new ModelNotServableException(Job, state.State, $"job '{Job}' is {Word(state.State)}: a partial fit goes on from a finished model");
            if (state.Spec.Training.Model == ModelKind.Budget)
                throw new ModelNotServableException(Job, state.State, $"job '{Job}' is a budget model: partial-fit (an SVI pass of HPF) is not offered for it");
            var shards = Shards();
            var final = state.Checkpoint;
            var run = new Serving.PartialFitRun(Job, shards, state.Spec.Training, state.Data!.Users + state.PartialFitUsers, final.StepCounter);
            PartialFitResult result;
            try
            {
                result = await run.RunAsync(request, cancellationToken);
            }
            catch
            {
                // Whatever the pass did to the items goes: they serve the finished model as stored again.
                await Task.WhenAll(shards.Items.Select(s => s.RestoreCheckpoint(
                    new CheckpointRequest(final.Iteration, CheckpointRequest.FinalSlot, final.ItemVersion, final.StepCounter), shards, CancellationToken.None)));
                throw;
            }
            _state = state with
            {
                Checkpoint = final with { StepCounter = result.StepTo },
                PartialFits = state.PartialFits + 1,
                PartialFitUsers = state.PartialFitUsers + result.NewUsers,
                Updated = DateTimeOffset.UtcNow,
            };
            await SaveAsync(cancellationToken);
            LogPartialFit(logger, Job, result.Users, result.Batches, result.StepFrom, result.StepTo);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DataSummary> SealAsync(CoordinatorState state, CancellationToken cancellationToken)
    {
        var shards = Shards();
        var training = state.Spec.Training;
        var indexed = await Task.WhenAll(
            shards.Users.Select((s, n) => s.Index(new ShardPlan(Job, n, state.UserShards, state.ItemShards, training) { Groups = state.Spec.Groups }, cancellationToken))
                .Concat(shards.Items.Select((s, n) => s.Index(new ShardPlan(Job, n, state.UserShards, state.ItemShards, training) { Groups = state.Spec.Groups }, cancellationToken))));
        var users = indexed[..state.UserShards];
        var items = indexed[state.UserShards..];
        CheckReceived(state, users, items);

        var linked = await Task.WhenAll(shards.Users.Select(s => s.Link(shards, cancellationToken))
            .Concat(shards.Items.Select(s => s.Link(shards, cancellationToken))));
        await Task.WhenAll(shards.Users.Select(s => s.SaveData(cancellationToken))
            .Concat(shards.Items.Select(s => s.SaveData(cancellationToken))));

        var userLinks = linked[..state.UserShards];
        return new DataSummary
        {
            Users = users.Sum(s => (long)s.Rows),
            Items = items.Sum(s => (long)s.Rows),
            Nonzeros = users.Sum(s => s.Nonzeros),
            Triplets = users.Sum(s => s.Triplets),
            ValidationNonzeros = userLinks.Sum(s => s.ValidationNonzeros),
            ValidationSkippedUnknownUser = userLinks.Sum(s => s.ValidationSkippedUnknownUser),
            ValidationSkippedUnknownItem = userLinks.Sum(s => s.ValidationSkippedUnknownItem),
        };
    }

    /// <summary>Every shard must hold what the uploads sent it: a shard re-activated mid-upload has lost its part.</summary>
    private void CheckReceived(CoordinatorState state, ShardIndexSummary[] users, ShardIndexSummary[] items)
    {
        var sentToUsers = new long[state.UserShards];
        var validationToUsers = new long[state.UserShards];
        var sentToItems = new long[state.ItemShards];
        foreach (var upload in state.Uploads)
        {
            var target = upload.Kind == DataSetKind.Training ? sentToUsers : validationToUsers;
            for (var n = 0; n < target.Length && n < upload.UserShardTriplets.Length; n++) target[n] += upload.UserShardTriplets[n];
            for (var n = 0; n < sentToItems.Length && n < upload.ItemShardTriplets.Length; n++) sentToItems[n] += upload.ItemShardTriplets[n];
        }
        for (var n = 0; n < users.Length; n++)
        {
            if (users[n].Triplets != sentToUsers[n] || users[n].ValidationTriplets != validationToUsers[n])
                throw new JobConflictException($"user shard {n} of job '{Job}' holds {users[n].Triplets} training and {users[n].ValidationTriplets} validation triplets where " +
                    $"{sentToUsers[n]} and {validationToUsers[n]} were sent (it lost part of the upload); create the job again and upload its data again");
        }
        for (var n = 0; n < items.Length; n++)
        {
            if (items[n].Triplets != sentToItems[n])
                throw new JobConflictException($"item shard {n} of job '{Job}' holds {items[n].Triplets} triplets where {sentToItems[n]} were sent " +
                    "(it lost part of the upload); create the job again and upload its data again");
        }
    }

    private static string? DataProblem(Exception e) => e switch
    {
        ShardDataException data => data.Message,
        AggregateException aggregate => aggregate.InnerExceptions.Select(DataProblem).FirstOrDefault(p => p is not null),
        _ => null,
    };

    private void StartRun(bool restoreFirst, bool sealFirst = false)
    {
        _runStop = new CancellationTokenSource();
        var stop = _runStop.Token;
        DelayDeactivation(RunKeepAlive);
        // On the grain's own scheduler, not the thread pool: the loop changes the state that reentrant calls read, and
        // Orleans interleaves those calls only at the loop's awaits. The shards do the CPU work.
        _run = RunAsync(restoreFirst, sealFirst, stop);
    }

    private async Task RunAsync(bool restoreFirst, bool sealFirst, CancellationToken stop)
    {
        // Returns to the caller at the first await, so Start and OnActivateAsync do not wait for training.
        await Task.Yield();
        try
        {
            if (sealFirst && !await SealInBackgroundAsync(stop)) return;
            var state = _state!;
            var run = new TrainingRun(Job, state.Spec, state.Data!, Shards(), state.Checkpoint, state.Rollbacks, state.RollbackHistory, logger,
                SaveCheckpointAsync, progress => _live = progress, WaitForViewAsync, WaitForSiloLossAsync, DeadSiloCount);
            var outcome = await run.RunAsync(restoreFirst, stop);
            await FinishRunAsync(outcome);
        }
        finally
        {
            DelayDeactivation(TimeSpan.Zero);
        }
    }

    private async Task StopRunAsync()
    {
        if (_run is not { } run) return;
        _runStop?.Cancel();
        try
        {
            await run;
        }
        catch (Exception e)
        {
            LogRunFault(logger, e, Job);
        }
        _run = null;
        _runStop?.Dispose();
        _runStop = null;
    }

    private async Task FinishRunAsync(TrainingOutcome outcome)
    {
        if (outcome.WasStopped || _state is null) return;
        var state = _state;
        _state = outcome.State == JobState.Completed
            ? state with
            {
                State = JobState.Completed,
                Checkpoint = outcome.Final ?? state.Checkpoint,
                StopReason = outcome.StopReason,
                Iterations = outcome.Iterations,
                SecondsPerIteration = outcome.SecondsPerIteration,
                Rollbacks = outcome.Rollbacks,
                LastRollback = outcome.LastRollback ?? state.LastRollback,
                RollbackHistory = outcome.RollbackHistory,
                Updated = DateTimeOffset.UtcNow,
            }
            : state with
            {
                State = JobState.Failed, Error = outcome.Error, Failure = outcome.Failure, Rollbacks = outcome.Rollbacks,
                LastRollback = outcome.LastRollback ?? state.LastRollback, RollbackHistory = outcome.RollbackHistory,
                Updated = DateTimeOffset.UtcNow,
            };
        _live = null;
        await SaveAsync(CancellationToken.None);
    }

    private async Task SaveCheckpointAsync(TrainingCheckpoint checkpoint)
    {
        _state = _state! with
        {
            Checkpoint = checkpoint, Rollbacks = _live?.Rollbacks ?? _state.Rollbacks, LastRollback = _live?.LastRollback ?? _state.LastRollback,
            RollbackHistory = _live?.RollbackHistory ?? _state.RollbackHistory, Updated = DateTimeOffset.UtcNow,
        };
        await SaveAsync(CancellationToken.None);
    }

    /// <summary>Waits until the cluster's membership changes (a silo declared dead, or joining), at most <paramref name="limit"/>.</summary>
    private async Task WaitForViewAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var seen = membership.CurrentSnapshot.Version;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(limit);
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(wait.Token))
            {
                if (snapshot.Version > seen) return;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No change within the limit: the view may already be settled; try again.
        }
    }

    /// <summary>Returns once a silo is declared dead.</summary>
    private async Task WaitForSiloLossAsync(CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, siloLoss.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A silo was declared dead.
        }
    }

    /// <summary>Silos this silo's membership view lists as dead: a rise during an attempt is a silo lost under it.</summary>
    private int DeadSiloCount()
    {
        var count = 0;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Dead) count++;
        }
        return count;
    }

    private int ActiveSiloCount()
    {
        var count = 0;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active) count++;
        }
        return count;
    }

    private async Task DeleteCoreAsync(CancellationToken cancellationToken)
    {
        await StopRunAsync();
        if (_state is not null)
        {
            var shards = Shards();
            await Task.WhenAll(shards.Users.Select(s => s.Discard(cancellationToken))
                .Concat(shards.Items.Select(s => s.Discard(cancellationToken))));
        }
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await record.ClearStateAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
        await GrainFactory.GetGrain<IItemTitlesGrain>(Job).Clear(cancellationToken);
        await GrainFactory.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).Remove(Job, cancellationToken);
        LogDeleted(logger, Job);
        _state = null;
        _live = null;
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var state = _state!;
            record.State.Job = state;
            await record.WriteStateAsync(cancellationToken);
            await GrainFactory.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key)
                .Record(new JobListing(Job, state.State, state.Updated), cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private JobStatus Status()
    {
        var state = _state!;
        var live = _live;
        var checkpoint = state.Checkpoint;
        var curve = live?.Curve ?? checkpoint.Curve;
        var last = curve.Length > 0 ? curve[^1] : null;
        return new JobStatus
        {
            Job = Job,
            State = state.State,
            Spec = state.Spec,
            UserShards = state.UserShards,
            ItemShards = state.ItemShards,
            Sources = state.Uploads.Select(u => u.Source).ToArray(),
            Data = state.Data,
            Iteration = live?.Iteration ?? (state.State == JobState.Completed ? state.Iterations : checkpoint.Iteration),
            LogLikelihood = live?.LogLikelihood ?? (state.Spec.Training.Stop == StopRule.ValLlk ? last?.ValidationLogLikelihood : last?.TrainLogLikelihood),
            ElapsedSeconds = live?.ElapsedSeconds ?? checkpoint.ElapsedSeconds,
            RemainingSeconds = state.State == JobState.Training ? live?.RemainingSeconds : null,
            BytesMoved = live?.BytesMoved ?? checkpoint.BytesMoved,
            BytesLastHalfStep = live?.BytesLastHalfStep ?? checkpoint.BytesLastHalfStep,
            LastCheckpoint = checkpoint.Iteration,
            Rollbacks = live?.Rollbacks ?? state.Rollbacks,
            LastRollback = live?.LastRollback ?? state.LastRollback,
            RollbackHistory = live?.RollbackHistory ?? state.RollbackHistory,
            SecondsPerIteration = state.SecondsPerIteration,
            LoadSeconds = state.LoadSeconds,
            StopReason = state.StopReason,
            Error = state.Error,
            Failure = state.Failure,
            Sealing = state.Sealing,
            PartialFits = state.PartialFits,
            PartialFitUsers = state.PartialFitUsers,
            Curve = curve,
            ElboTrace = live?.ElboTrace ?? checkpoint.ElboTrace,
            Created = state.Created,
            Updated = state.Updated,
        };
    }

    private ShardSet Shards()
    {
        var state = RequireState();
        var users = new IUserShardGrain[state.UserShards];
        for (var n = 0; n < users.Length; n++)
        {
            users[n] = GrainFactory.GetGrain<IUserShardGrain>(ShardSet.UserShardKey(Job, n));
        }
        var items = new IItemShardGrain[state.ItemShards];
        for (var n = 0; n < items.Length; n++)
        {
            items[n] = GrainFactory.GetGrain<IItemShardGrain>(ShardSet.ItemShardKey(Job, n));
        }
        return new ShardSet(users, items);
    }

    private CoordinatorState RequireState() => _state ?? throw new JobNotFoundException(Job);

    private static string Word(JobState state) => state.ToString().ToLowerInvariant();

    private static string Word(DataSetKind kind) => kind.ToString().ToLowerInvariant();

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Job {Job} created with {UserShards} user shards and {ItemShards} item shards")]
    private static partial void LogCreated(ILogger logger, string job, int userShards, int itemShards);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Job {Job}: {Source} refused with {Errors} bad lines; the job is deleted")]
    private static partial void LogRefused(ILogger logger, string job, string source, long errors);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Job {Job} sealed: {Users} users, {Items} items, {Nonzeros} nonzeros, loaded in {Seconds:F2} s")]
    private static partial void LogSealed(ILogger logger, string job, long users, long items, long nonzeros, double seconds);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Job {Job} resuming from the checkpoint of iteration {Iteration}")]
    private static partial void LogResuming(ILogger logger, string job, int iteration);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "Job {Job} cancelled")]
    private static partial void LogCancelled(ILogger logger, string job);

    [LoggerMessage(EventId = 605, Level = LogLevel.Information, Message = "Job {Job} deleted")]
    private static partial void LogDeleted(ILogger logger, string job);

    [LoggerMessage(EventId = 608, Level = LogLevel.Information, Message = "Job {Job}: partial fit of {Users} users in {Batches} batches, SVI clock {From} → {To}")]
    private static partial void LogPartialFit(ILogger logger, string job, int users, int batches, long from, long to);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "Job {Job}: the seal failed: {Error}")]
    private static partial void LogSealFailed(ILogger logger, string job, string error);

    [LoggerMessage(EventId = 609, Level = LogLevel.Warning, Message = "Job {Job}: an older coordinator wrote the job while this one took it over (attempt {Attempt}); reading it again")]
    private static partial void LogClaimRetried(ILogger logger, string job, int attempt);

    [LoggerMessage(EventId = 606, Level = LogLevel.Error, Message = "Job {Job}: the training loop ended with a fault")]
    private static partial void LogRunFault(ILogger logger, Exception exception, string job);
}
