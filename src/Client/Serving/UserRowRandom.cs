namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// The random numbers the engine initialises a row with, from the seed, the side and the row's id (the engine's
/// RowRandom: SplitMix64 over a 64-bit FNV-1a hash of the id). Repeated here, because that type is internal to the
/// engine, so that a user folded in from the local job store starts where the cluster's fold-in of the same id starts.
/// </summary>
internal struct UserRowRandom
{
    private ulong _state;

    public UserRowRandom(ulong seed, string side, string id)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in side) h = (h ^ ch) * 1099511628211UL;
        h = (h ^ 0xFF) * 1099511628211UL;
        foreach (var ch in id) h = (h ^ ch) * 1099511628211UL;
        _state = Mix(seed ^ Mix(h));
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    private ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
