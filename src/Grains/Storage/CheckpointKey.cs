namespace Hpf.Cluster.Grains.Storage;

/// <summary>Argument checks shared by the stores, so each refuses a key the same way whatever it maps keys to.</summary>
internal static class CheckpointKey
{
    /// <summary>
    /// Refuses an empty grain type or id, and a grain type holding '/': the blob store names state
    /// <c>{grainType}/{grainId}</c>, which only stays one name per pair while the type has no separator.
    /// </summary>
    public static void Validate(string grainType, string grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(grainType);
        ArgumentException.ThrowIfNullOrEmpty(grainId);
        if (grainType.Contains('/'))
            throw new ArgumentException($"A grain type used as a checkpoint key cannot contain '/': {grainType}", nameof(grainType));
    }

    public static string NewETag() => Guid.NewGuid().ToString("N");
}
