using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// What a coordinator persists (JSON): the job as created and uploaded, and its training as of the last complete
/// checkpoint, which is where a re-activated coordinator resumes. Progress past that point lives in memory only.
/// </summary>
internal sealed record CoordinatorState
{
    public required JobSpec Spec { get; init; }
    public JobState State { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
    public int UserShards { get; init; }
    public int ItemShards { get; init; }
    /// <summary>The silo each user shard was pinned to at creation (data locality and an even spread); null: none.</summary>
    public string?[] UserPlacement { get; init; } = [];
    public string?[] ItemPlacement { get; init; } = [];
    public UploadSummary[] Uploads { get; init; } = [];
    /// <summary>When the first upload began, for the load time.</summary>
    public DateTimeOffset? LoadStarted { get; init; }
    public double LoadSeconds { get; init; }
    public DataSummary? Data { get; init; }

    /// <summary>The last complete checkpoint (0: none; training starts from the seeded initialisation).</summary>
    public TrainingCheckpoint Checkpoint { get; init; } = new();
    public int Rollbacks { get; init; }
    public string? StopReason { get; init; }
    public string? Error { get; init; }
    public JobFailure Failure { get; init; }
    /// <summary>Started and being sealed: a coordinator activated in this state finds the seal interrupted.</summary>
    public bool Sealing { get; init; }
    public int PartialFits { get; init; }
    public int PartialFitUsers { get; init; }
    /// <summary>Set when training ended: the iterations run and the mean seconds per iteration.</summary>
    public int Iterations { get; init; }
    public double SecondsPerIteration { get; init; }
}

/// <summary>
/// Where training stands at a checkpoint every shard has written: the iteration, the slot it is in, each side's
/// version and the SVI batch counter, and what the coordinator itself needs to go on from there exactly as a
/// run without the interruption would have.
/// </summary>
internal sealed record TrainingCheckpoint
{
    public int Iteration { get; init; }
    public int Slot { get; init; }
    public long UserVersion { get; init; }
    public long ItemVersion { get; init; }
    public long StepCounter { get; init; }
    public double ElapsedSeconds { get; init; }
    public long BytesMoved { get; init; }
    public long BytesLastHalfStep { get; init; }
    public LikelihoodPoint[] Curve { get; init; } = [];
    public double[] ElboTrace { get; init; } = [];
}
