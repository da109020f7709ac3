using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// Everything a generated grain reference needs to make calls: the grain's identity and interface, its
/// placement hint, and the runtime that routes calls. Public only because generated references in other
/// assemblies pass it to <see cref="GrainReference"/>'s constructor.
/// </summary>
public sealed class GrainReferenceTarget
{
    internal GrainReferenceTarget(GrainId grainId, GrainInterfaceDescriptor grainInterface, SiloAddress? placementHint, IGrainCallInvoker invoker)
    {
        GrainId = grainId;
        Interface = grainInterface;
        PlacementHint = placementHint;
        Invoker = invoker;
    }

    public GrainId GrainId { get; }

    public SiloAddress? PlacementHint { get; }

    internal GrainInterfaceDescriptor Interface { get; }

    internal IGrainCallInvoker Invoker { get; }
}
