using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// A grain reference travels as its grain type, key and placement hint, and is rebuilt on the receiving side
/// bound to that process's runtime, so a coordinator can hand shards references to each other (pinned ones
/// keep their hint). The written type is the reference's own interface, which may derive from the declared one.
/// </summary>
internal sealed class GrainReferenceSerializer(Type declaredType) : WireSerializer
{
    public override void WriteObject(WireWriter writer, object? value)
    {
        if (value is null)
        {
            writer.WriteString(null);
            return;
        }
        if (value is not GrainReference reference)
        {
            throw new WireFormatException($"A {declaredType.FullName} argument must be a grain reference from IGrainFactory, not a {value.GetType().FullName} (a grain instance cannot be passed).");
        }
        writer.WriteString(reference.GrainId.Type);
        writer.WriteString(reference.GrainId.Key);
        writer.WriteString(reference.PlacementHint?.ToString());
    }

    public override object? ReadObject(WireReader reader)
    {
        var grainType = reader.ReadString();
        if (grainType is null)
        {
            return null;
        }
        var key = reader.ReadString() ?? throw new WireFormatException("Grain reference without a key.");
        var hint = reader.ReadString();
        if (!GrainInterfaceRegistry.TryGetInterface(grainType, out var descriptor) || !declaredType.IsAssignableFrom(descriptor.InterfaceType))
        {
            throw new WireFormatException($"Grain reference of type {grainType} is not known here as a {declaredType.FullName}.");
        }
        var factory = reader.GrainFactory ?? throw new WireFormatException("Grain references can only be decoded inside a silo or client runtime.");
        return factory.CreateReference(descriptor, key, hint is null ? null : SiloAddress.Parse(hint));
    }
}
