using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Placement;

/// <summary>
/// Highest-random-weight placement: every silo scores the grain with a hash of (grain, silo) and the highest
/// score owns it. Every silo with the same view picks the same owner without talking to the others, and when a
/// silo joins or leaves only the grains it wins or owned (about 1/N of them) move.
/// </summary>
public static class RendezvousPlacement
{
    // Silo hashes are reused on every call; a cluster sees few distinct silos over a process's life.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<SiloAddress, ulong> SiloHashes = new();

    /// <summary>
    /// The owner of <paramref name="grainId"/> among <paramref name="activeSilos"/>; a hinted silo wins while it is
    /// active. Null when the view is empty.
    /// </summary>
    public static SiloAddress? PickOwner(GrainId grainId, IReadOnlyList<SiloAddress> activeSilos, SiloAddress? placementHint = null)
    {
        if (placementHint is not null)
        {
            foreach (var silo in activeSilos)
            {
                if (silo == placementHint)
                {
                    return silo;
                }
            }
        }
        var grainHash = StableHash.Of(grainId.Type, grainId.Key);
        SiloAddress? best = null;
        var bestWeight = 0UL;
        foreach (var silo in activeSilos)
        {
            var weight = StableHash.Mix(grainHash ^ SiloHash(silo));
            // Ties are practically impossible; breaking them by address order keeps the choice deterministic anyway.
            if (best is null || weight > bestWeight || (weight == bestWeight && silo.CompareTo(best) < 0))
            {
                best = silo;
                bestWeight = weight;
            }
        }
        return best;
    }

    private static ulong SiloHash(SiloAddress silo) => SiloHashes.GetOrAdd(silo, ComputeSiloHash);

    private static ulong ComputeSiloHash(SiloAddress silo) =>
        StableHash.Mix(StableHash.Of(silo.Host.ToLowerInvariant() + ":" + silo.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)) ^ (ulong)silo.Generation);
}
