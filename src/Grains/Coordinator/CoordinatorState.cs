using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// What a coordinator persists (JSON): the job as created and uploaded, and its training as of the last complete
/// checkpoint, which is where a re-activated coordinator resumes. Progress past that point lives in memory only.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.CoordinatorState")]
public sealed record CoordinatorState
{
    [Id(0)]
    public JobSpec Spec { get; init; } = new();
    [Id(1)]
    public JobState State { get; init; }
    [Id(2)]
    public DateTimeOffset Created { get; init; }
    [Id(3)]
    public DateTimeOffset Updated { get; init; }
    [Id(4)]
    public int UserShards { get; init; }
    [Id(5)]
    public int ItemShards { get; init; }
    [Id(6)]
    public UploadSummary[] Uploads { get; init; } = [];
    /// <summary>When the first upload began, for the load time.</summary>
    [Id(7)]
    public DateTimeOffset? LoadStarted { get; init; }
    [Id(8)]
    public double LoadSeconds { get; init; }
    [Id(9)]
    public DataSummary? Data { get; init; }

    /// <summary>The last complete checkpoint (0: none; training starts from the seeded initialisation).</summary>
    [Id(10)]
    public TrainingCheckpoint Checkpoint { get; init; } = new();
    [Id(11)]
    public int Rollbacks { get; init; }
    [Id(20)]
    public string? LastRollback { get; init; }
    [Id(21)]
    public JobRollback[] RollbackHistory { get; init; } = [];
    [Id(12)]
    public string? StopReason { get; init; }
    [Id(13)]
    public string? Error { get; init; }
    [Id(14)]
    public JobFailure Failure { get; init; }
    /// <summary>Started and being sealed: a coordinator activated in this state finds the seal interrupted.</summary>
    [Id(15)]
    public bool Sealing { get; init; }
    [Id(16)]
    public int PartialFits { get; init; }
    [Id(17)]
    public int PartialFitUsers { get; init; }
    /// <summary>Set when training ended: the iterations run and the mean seconds per iteration.</summary>
    [Id(18)]
    public int Iterations { get; init; }
    [Id(19)]
    public double SecondsPerIteration { get; init; }
}

/// <summary>
/// Where training stands at a checkpoint every shard has written: the iteration, the slot it is in, each side's
/// version and the SVI batch counter, and what the coordinator itself needs to go on from there exactly as a
/// run without the interruption would have.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.TrainingCheckpoint")]
public sealed record TrainingCheckpoint
{
    [Id(0)]
    public int Iteration { get; init; }
    [Id(1)]
    public int Slot { get; init; }
    [Id(2)]
    public long UserVersion { get; init; }
    [Id(3)]
    public long ItemVersion { get; init; }
    [Id(4)]
    public long StepCounter { get; init; }
    [Id(5)]
    public double ElapsedSeconds { get; init; }
    [Id(6)]
    public long BytesMoved { get; init; }
    [Id(7)]
    public long BytesLastHalfStep { get; init; }
    [Id(8)]
    public LikelihoodPoint[] Curve { get; init; } = [];
    [Id(9)]
    public double[] ElboTrace { get; init; } = [];
    /// <summary>A Gaussian job's μ, σ² and population priors at the checkpoint; null for HPF and at iteration 0.</summary>
    [Id(10)]
    public GaussianHyperparameters? Gaussian { get; init; }
}

/// <summary>What a coordinator persists: its job, or nothing once the job is deleted (or before it is created).</summary>
[GenerateSerializer, Alias("hpf.CoordinatorRecord")]
public sealed class CoordinatorRecord
{
    [Id(0)]
    public CoordinatorState? Job { get; set; }
}
