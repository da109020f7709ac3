namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A checkpoint of a shard's parameters at an iteration. Two slots alternate, so the last complete checkpoint is
/// never the one being overwritten; <see cref="FinalSlot"/> holds the finished model.
/// </summary>
public sealed record CheckpointRequest(int Iteration, int Slot, long Version, long StepCounter)
{
    public const int FinalSlot = 2;
}

public sealed record CheckpointResult(long Bytes, double Seconds);
