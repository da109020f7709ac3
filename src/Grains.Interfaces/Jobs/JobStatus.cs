namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>A job as its coordinator sees it: state, progress, the log-likelihood curve and timings. Readable at any time.</summary>
public sealed record JobStatus
{
    /// <summary>
    /// How often a client that shows a job's progress asks for its status (<c>hpf train --cluster</c>'s display, the
    /// benchmarks): often enough for a display; each ask is a request a silo answers on the cores that train the job.
    /// </summary>
    public static readonly TimeSpan ProgressPollInterval = TimeSpan.FromMilliseconds(200);

    public string Job { get; init; } = "";
    public JobState State { get; init; }
    public JobSpec Spec { get; init; } = new();
    /// <summary>The shard counts in use (the spec's, or the defaults chosen at creation).</summary>
    public int UserShards { get; init; }
    public int ItemShards { get; init; }
    /// <summary>Names of the files uploaded, in order: training first.</summary>
    public string[] Sources { get; init; } = [];
    public DataSummary? Data { get; init; }
    /// <summary>Iterations done (epochs for SVI).</summary>
    public int Iteration { get; init; }
    /// <summary>The latest checked log-likelihood (training, or validation per nonzero for val-llk), if any yet.</summary>
    public double? LogLikelihood { get; init; }
    /// <summary>Training time so far, loading and sealing excluded.</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>Estimated time to the iteration bound at the mean pace so far.</summary>
    public double? RemainingSeconds { get; init; }
    /// <summary>Bytes of parameter rows the shards fetched from one another, all half-steps so far.</summary>
    public long BytesMoved { get; init; }
    /// <summary>Bytes fetched by all shards in the last full-batch half-step (or SVI batch).</summary>
    public long BytesLastHalfStep { get; init; }
    /// <summary>Iteration of the last checkpoint every shard has written; 0 when there is none.</summary>
    public int LastCheckpoint { get; init; }
    /// <summary>How many times training went back to the last complete checkpoint (a lost shard, a restart).</summary>
    public int Rollbacks { get; init; }
    /// <summary>Mean seconds per training iteration, loading excluded (as in model.json).</summary>
    public double SecondsPerIteration { get; init; }
    /// <summary>Seconds from the first upload to the end of sealing.</summary>
    public double LoadSeconds { get; init; }
    public string? StopReason { get; init; }
    /// <summary>Why the job failed (or was refused), when it did.</summary>
    public string? Error { get; init; }
    /// <summary>What kind of failure <see cref="Error"/> is.</summary>
    public JobFailure Failure { get; init; }
    /// <summary>Partial fits applied to the finished model, and the users they added.</summary>
    public int PartialFits { get; init; }
    public int PartialFitUsers { get; init; }
    /// <summary>Loading and the data are being sealed into the shards (after start, before training).</summary>
    public bool Sealing { get; init; }
    public LikelihoodPoint[] Curve { get; init; } = [];
    /// <summary>With <see cref="JobSpec.TraceElbo"/>: the ELBO after every half-step, starting from the initial model.</summary>
    public double[] ElboTrace { get; init; } = [];
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }

    /// <summary>Completed, failed or cancelled: nothing more will happen to it.</summary>
    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
