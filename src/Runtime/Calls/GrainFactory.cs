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
        return (TGrainInterface)(object)CreateReference(GrainInterfaceRegistry.GetInterface(typeof(TGrainInterface)), key, hint);
    }

    /// <summary>A reference rebuilt from a message: same grain, same hint, bound to this process's router.</summary>
    internal GrainReference CreateReference(GrainInterfaceDescriptor descriptor, string key, SiloAddress? hint) =>
        descriptor.CreateReference(new GrainReferenceTarget(new GrainId(descriptor.GrainType, key), descriptor, hint, router));
}
