namespace Hpf.Cluster.Grains.Storage;

/// <summary>Argument checks shared by the stores, so each refuses a key the same way whatever it maps keys to.</summary>
internal static class CheckpointKey
{
    /// <summary>
    /// Refuses an empty grain type or id, a grain type holding '/', and an id with an empty, "." or ".." segment
    /// between its '/'s. The blob store names state <c>{grainType}/{grainId}</c>: that stays one name per pair only
    /// while the type has no separator, and URLs resolve "." and ".." segments to another blob's name.
    /// </summary>
    public static void Validate(string grainType, string grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(grainType);
        ArgumentException.ThrowIfNullOrEmpty(grainId);
        if (grainType.Contains('/'))
            throw new ArgumentException($"A grain type used as a checkpoint key cannot contain '/': {grainType}", nameof(grainType));
        foreach (var segment in grainId.Split('/'))
            if (segment is "" or "." or "..")
                throw new ArgumentException($"A grain id used as a checkpoint key cannot have an empty, \".\" or \"..\" segment: {grainId}", nameof(grainId));
    }

    public static string NewETag() => Guid.NewGuid().ToString("N");
}
