namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>A job as its coordinator sees it: state, progress, the log-likelihood curve and timings. Readable at any time.</summary>
[GenerateSerializer, Immutable, Alias("hpf.JobStatus")]
public sealed record JobStatus
{
    /// <summary>
    /// How often a client that shows a job's progress asks for its status (<c>hpf train --cluster</c>'s display, the
    /// benchmarks): often enough for a display; each ask is a request a silo answers on the cores that train the job.
    /// </summary>
    public static readonly TimeSpan ProgressPollInterval = TimeSpan.FromMilliseconds(200);

    [Id(0)]
    public string Job { get; init; } = "";
    [Id(1)]
    public JobState State { get; init; }
    [Id(2)]
    public JobSpec Spec { get; init; } = new();
    /// <summary>The shard counts in use (the spec's, or the defaults chosen at creation).</summary>
    [Id(3)]
    public int UserShards { get; init; }
    [Id(4)]
    public int ItemShards { get; init; }
    /// <summary>Names of the files uploaded, in order: training first.</summary>
    [Id(5)]
    public string[] Sources { get; init; } = [];
    [Id(6)]
    public DataSummary? Data { get; init; }
    /// <summary>Iterations done (epochs for SVI).</summary>
    [Id(7)]
    public int Iteration { get; init; }
    /// <summary>The latest checked log-likelihood (training, or validation per nonzero for val-llk), if any yet.</summary>
    [Id(8)]
    public double? LogLikelihood { get; init; }
    /// <summary>Training time so far, loading and sealing excluded.</summary>
    [Id(9)]
    public double ElapsedSeconds { get; init; }
    /// <summary>Estimated time to the iteration bound at the mean pace so far.</summary>
    [Id(10)]
    public double? RemainingSeconds { get; init; }
    /// <summary>Bytes of parameter rows the shards fetched from one another, all half-steps so far.</summary>
    [Id(11)]
    public long BytesMoved { get; init; }
    /// <summary>Bytes fetched by all shards in the last full-batch half-step (or SVI batch).</summary>
    [Id(12)]
    public long BytesLastHalfStep { get; init; }
    /// <summary>Iteration of the last checkpoint every shard has written; 0 when there is none.</summary>
    [Id(13)]
    public int LastCheckpoint { get; init; }
    /// <summary>How many times training went back to the last complete checkpoint (a lost shard, a restart).</summary>
    [Id(14)]
    public int Rollbacks { get; init; }
    /// <summary>The last rollback: to which checkpoint and why (a silo declared dead, a shard's failed call); null when there was none.</summary>
    [Id(27)]
    public string? LastRollback { get; init; }
    /// <summary>
    /// Every rollback, oldest first (the latest <see cref="JobRollback.Kept"/>), and every resume by a new coordinator
    /// after the old one's silo stopped (not counted in <see cref="Rollbacks"/>: no shard call failed).
    /// </summary>
    [Id(28)]
    public JobRollback[] RollbackHistory { get; init; } = [];
    /// <summary>Mean seconds per training iteration, loading excluded (as in model.json).</summary>
    [Id(15)]
    public double SecondsPerIteration { get; init; }
    /// <summary>Seconds from the first upload to the end of sealing.</summary>
    [Id(16)]
    public double LoadSeconds { get; init; }
    [Id(17)]
    public string? StopReason { get; init; }
    /// <summary>Why the job failed (or was refused), when it did.</summary>
    [Id(18)]
    public string? Error { get; init; }
    /// <summary>What kind of failure <see cref="Error"/> is.</summary>
    [Id(19)]
    public JobFailure Failure { get; init; }
    /// <summary>Partial fits applied to the finished model, and the users they added.</summary>
    [Id(20)]
    public int PartialFits { get; init; }
    [Id(21)]
    public int PartialFitUsers { get; init; }
    /// <summary>Loading and the data are being sealed into the shards (after start, before training).</summary>
    [Id(22)]
    public bool Sealing { get; init; }
    [Id(23)]
    public LikelihoodPoint[] Curve { get; init; } = [];
    /// <summary>With <see cref="JobSpec.TraceElbo"/>: the ELBO after every half-step, starting from the initial model.</summary>
    [Id(24)]
    public double[] ElboTrace { get; init; } = [];
    [Id(25)]
    public DateTimeOffset Created { get; init; }
    [Id(26)]
    public DateTimeOffset Updated { get; init; }

    /// <summary>Completed, failed or cancelled: nothing more will happen to it.</summary>
    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
