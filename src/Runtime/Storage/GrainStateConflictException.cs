namespace Hpf.Cluster.Runtime.Storage;

/// <summary>A write or clear made against a stale etag: someone else changed (or created, or cleared) the state since it was read.</summary>
public sealed class GrainStateConflictException : Exception
{
    public GrainStateConflictException(string grainType, string grainId, string? expectedETag, string? actualETag)
        : base($"The state of grain {grainType}/{grainId} was changed by another writer: expected etag "
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

    /// <summary>The etag stored at the time; null when there was no state.</summary>
    public string? ActualETag { get; }
}
