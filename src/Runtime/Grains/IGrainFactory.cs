using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime;

/// <summary>Hands out references to grains; a reference works from any silo or client, wherever the grain lives.</summary>
public interface IGrainFactory
{
    /// <summary>The grain of interface <typeparamref name="TGrainInterface"/> with this key, placed by rendezvous hashing.</summary>
    TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : class;

    /// <summary>
    /// The grain pinned to <paramref name="placementHint"/> while that silo is active (data locality); when it is
    /// not, the grain is placed by rendezvous hashing like any other. Every caller of a pinned grain must use the
    /// same hint (pass the reference around rather than rebuilding it), since the hint is how calls find it.
    /// </summary>
    TGrainInterface GetGrain<TGrainInterface>(string key, SiloAddress placementHint) where TGrainInterface : class;
}
