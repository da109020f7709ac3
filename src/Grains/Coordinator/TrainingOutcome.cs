using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>How a training run ended: completed (with its final checkpoint), failed (with why), or stopped on request.</summary>
internal sealed record TrainingOutcome(JobState State, string? StopReason, string? Error, int Iterations, double SecondsPerIteration, int Rollbacks)
{
    public JobFailure Failure { get; init; }

    /// <summary>The finished model's record (iteration, curve, timings), when completed.</summary>
    public TrainingCheckpoint? Final { get; init; }

    /// <summary>The last rollback of the run (to which checkpoint, and why), if it had one.</summary>
    public string? LastRollback { get; init; }

    /// <summary>The job's rollbacks so far, this run's included.</summary>
    public JobRollback[] RollbackHistory { get; init; } = [];

    /// <summary>Stopped between steps because the run was asked to stop; the job itself decides what that means.</summary>
    public bool WasStopped => State == JobState.Training;

    public static TrainingOutcome Stopped(int rollbacks) => new(JobState.Training, null, null, 0, 0, rollbacks);
}
