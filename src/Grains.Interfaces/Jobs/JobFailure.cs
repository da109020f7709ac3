namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Why a failed job failed, for scripts and exit codes (the message is in <see cref="JobStatus.Error"/>).</summary>
public enum JobFailure
{
    /// <summary>It has not failed.</summary>
    None,
    /// <summary>A parameter became NaN or ∞ (extreme priors or counts); the last checkpoint is kept.</summary>
    Numeric,
    /// <summary>The data were refused when the shards were sealed (duplicate pairs summing out of float32's range, a val-llk rule with no usable validation nonzero); nothing of them is kept.</summary>
    Data,
    /// <summary>The cluster could not go on (shards lost faster than checkpoints could be restored, an interrupted seal).</summary>
    Cluster,
}
