namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One time a training job went back to its last complete checkpoint: when, from which iteration (the last one
/// finished before the failure; null when a new coordinator resumed the job and the old one's progress was lost with
/// it), to which checkpoint, why, and whether a silo had been declared dead.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.JobRollback")]
public sealed record JobRollback(DateTimeOffset At, int? FromIteration, int ToCheckpoint, string Reason, bool SiloLost)
{
    /// <summary>The most a job keeps: the latest ones, so that a job failing over and over keeps a small state.</summary>
    public const int Kept = 50;

    /// <summary><paramref name="history"/> with <paramref name="rollback"/> added, the oldest dropped past <see cref="Kept"/>.</summary>
    public static JobRollback[] Append(JobRollback[] history, JobRollback rollback) =>
        history.Length < Kept ? [.. history, rollback] : [.. history.AsSpan(history.Length - Kept + 1), rollback];
}
