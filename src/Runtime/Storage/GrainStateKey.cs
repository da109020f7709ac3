namespace Hpf.Cluster.Runtime.Storage;

/// <summary>Argument checks shared by the stores, so each refuses an empty grain type or id the same way.</summary>
internal static class GrainStateKey
{
    public static void Validate(string grainType, string grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(grainType);
        ArgumentException.ThrowIfNullOrEmpty(grainId);
    }

    public static string NewETag() => Guid.NewGuid().ToString("N");
}
