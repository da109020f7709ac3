namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// A write or clear made against a stale etag: someone else changed (or created, or cleared) the state since it was
/// read. Serializable because a shard's checkpoint write fails its caller's call with it (a stale activation after a
/// failover); without a codec Orleans would fail the reply instead of delivering this.
/// </summary>
[GenerateSerializer, Alias("hpf.CheckpointConflictException")]
public sealed class CheckpointConflictException : Exception
{
    public CheckpointConflictException(string grainType, string grainId, string? expectedETag, string? actualETag)
        : base($"The checkpoint of grain {grainType}/{grainId} was changed by another writer: expected etag "
            + $"{expectedETag ?? "(no state)"} but the store holds {actualETag ?? "(no state)"}.")
    {
        GrainType = grainType;
        GrainId = grainId;
        ExpectedETag = expectedETag;
        ActualETag = actualETag;
    }

    [Id(0)]
    public string GrainType { get; }

    [Id(1)]
    public string GrainId { get; }

    /// <summary>The etag the writer presented; null when it expected no state.</summary>
    [Id(2)]
    public string? ExpectedETag { get; }

    /// <summary>The etag stored when the conflict was seen; null when there was no state.</summary>
    [Id(3)]
    public string? ActualETag { get; }
}
