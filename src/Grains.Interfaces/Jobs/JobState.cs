namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Where a job is in its life: created → loading → training → completed | failed | cancelled.</summary>
public enum JobState
{
    /// <summary>Spec accepted, no data yet.</summary>
    Created,
    /// <summary>Data are being uploaded to the shards.</summary>
    Loading,
    /// <summary>The shards are sealed and the coordinator runs iterations (or will resume them from a checkpoint).</summary>
    Training,
    /// <summary>Training stopped by its rule; the final model is persisted.</summary>
    Completed,
    /// <summary>A numeric failure or an error no retry could get past; the last complete checkpoint is kept.</summary>
    Failed,
    /// <summary>Stopped at the user's request.</summary>
    Cancelled,
}
