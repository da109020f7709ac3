namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A checkpoint of a shard's parameters at an iteration. Two slots alternate, so the last complete checkpoint is
/// never the one being overwritten; <see cref="FinalSlot"/> holds the finished model.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.CheckpointRequest")]
public sealed record CheckpointRequest(int Iteration, int Slot, long Version, long StepCounter)
{
    public const int FinalSlot = 2;

    /// <summary>A Gaussian job's hyperparameters at the checkpoint, kept beside the rows so a pulled model has them; null for HPF.</summary>
    [Id(4)]
    public GaussianHyperparameters? Gaussian { get; init; }
}

[GenerateSerializer, Immutable, Alias("hpf.CheckpointResult")]
public sealed record CheckpointResult(long Bytes, double Seconds);
