namespace Hpf.Cluster.Grains.Storage;

/// <summary>A write or clear made against a stale etag: someone else changed (or created, or cleared) the state since it was read.</summary>
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

    public string GrainType { get; }

    public string GrainId { get; }

    /// <summary>The etag the writer presented; null when it expected no state.</summary>
    public string? ExpectedETag { get; }

    /// <summary>The etag stored when the conflict was seen; null when there was no state.</summary>
    public string? ActualETag { get; }
}
