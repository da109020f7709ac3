using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime;

/// <summary>Builds generated grain references bound to this process's call router.</summary>
internal sealed class GrainFactory(GrainCallRouter router) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : class => Create<TGrainInterface>(key, null);

    public TGrainInterface GetGrain<TGrainInterface>(string key, SiloAddress placementHint) where TGrainInterface : class
    {
        ArgumentNullException.ThrowIfNull(placementHint);
        return Create<TGrainInterface>(key, placementHint);
    }

    private TGrainInterface Create<TGrainInterface>(string key, SiloAddress? hint) where TGrainInterface : class
    {
        ArgumentNullException.ThrowIfNull(key);
        var descriptor = GrainInterfaceRegistry.GetInterface(typeof(TGrainInterface));
        var target = new GrainReferenceTarget(new GrainId(descriptor.GrainType, key), descriptor, hint, router);
        return (TGrainInterface)(object)descriptor.CreateReference(target);
    }
}
