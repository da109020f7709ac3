using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>A decoded call: which grain, which method, with what arguments, and how many silos it has passed through.</summary>
internal sealed record CallRequest(GrainId GrainId, SiloAddress? PlacementHint, GrainInterfaceDescriptor Interface, GrainMethodDescriptor Method, object?[] Arguments, int Hops);
