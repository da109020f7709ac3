using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Layout of call and response bodies, each a framed message (<see cref="WireFrame"/>: head length, head, then
/// the bytes of large primitive arrays). Request head: version, grain type, key, placement hint, method id,
/// hops, then the arguments by their declared types. Response head: a <see cref="CallStatus"/> and what it implies.
/// </summary>
internal static class CallMessageCodec
{
    // 2: the body is framed (WireFrame), large arrays after the head; the silos of a cluster run one build.
    private const byte Version = 2;

    public static void WriteRequest(WireWriter writer, GrainId grainId, SiloAddress? hint, GrainMethodDescriptor method, object?[] arguments, int hops)
    {
        writer.BeginFrame();
        writer.WriteByte(Version);
        writer.WriteString(grainId.Type);
        writer.WriteString(grainId.Key);
        writer.WriteString(hint?.ToString());
        writer.WriteInt32(method.Id);
        writer.WriteByte((byte)hops);
        var types = method.ParameterTypes;
        for (var i = 0; i < types.Count; i++)
        {
            WireCodec.Write(writer, types[i], arguments[i]);
        }
    }

    /// <summary>Decodes a request; with a streamed tail the large arrays are left in <see cref="WireReader.PendingArrays"/> to be filled.</summary>
    public static CallRequest ReadRequest(WireReader reader)
    {
        reader.BeginFrame();
        var version = reader.ReadByte();
        if (version != Version)
        {
            throw new WireFormatException($"Call message version {version}; this silo speaks version {Version}.");
        }
        var grainType = reader.ReadString() ?? throw new WireFormatException("Call message without a grain type.");
        var key = reader.ReadString() ?? throw new WireFormatException("Call message without a grain key.");
        var hintText = reader.ReadString();
        var methodId = reader.ReadInt32();
        var hops = reader.ReadByte();
        if (!GrainInterfaceRegistry.TryGetInterface(grainType, out var descriptor))
        {
            throw new WireFormatException($"Grain interface {grainType} is not known on this silo.");
        }
        if (methodId < 0 || methodId >= descriptor.Methods.Count)
        {
            throw new WireFormatException($"Grain interface {grainType} has no method {methodId}; do the silos run the same grain assemblies?");
        }
        var method = descriptor.Methods[methodId];
        var arguments = new object?[method.ParameterTypes.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = WireCodec.Read(reader, method.ParameterTypes[i]);
        }
        reader.EndFrame();
        var hint = hintText is null ? null : SiloAddress.Parse(hintText);
        return new CallRequest(new GrainId(grainType, key), hint, descriptor, method, arguments, hops);
    }

    public static void WriteCompleted(WireWriter writer, GrainMethodDescriptor method, object? result)
    {
        writer.BeginFrame();
        writer.WriteByte((byte)CallStatus.Completed);
        if (method.ResultType != typeof(void))
        {
            WireCodec.Write(writer, method.ResultType, result);
        }
    }

    public static void WriteFailed(WireWriter writer, string exceptionType, string message, string silo)
    {
        writer.BeginFrame();
        writer.WriteByte((byte)CallStatus.Failed);
        writer.WriteString(exceptionType);
        writer.WriteString(message);
        writer.WriteString(silo);
    }

    public static void WriteUnavailable(WireWriter writer, string reason)
    {
        writer.BeginFrame();
        writer.WriteByte((byte)CallStatus.Unavailable);
        writer.WriteString(reason);
    }

    /// <summary>Returns the result, or throws what the response says happened.</summary>
    public static object? ReadResponse(WireReader reader, GrainId grainId, GrainMethodDescriptor method)
    {
        reader.BeginFrame();
        var status = (CallStatus)reader.ReadByte();
        switch (status)
        {
            case CallStatus.Completed:
                var result = method.ResultType == typeof(void) ? null : WireCodec.Read(reader, method.ResultType);
                reader.EndFrame();
                return result;
            case CallStatus.Failed:
                var type = reader.ReadString() ?? "";
                var message = reader.ReadString() ?? "";
                var silo = reader.ReadString() ?? "";
                throw new GrainCallException(grainId, method.Name, silo, type, message);
            case CallStatus.Unavailable:
                throw new SiloUnavailableException(reader.ReadString() ?? "");
            default:
                throw new WireFormatException($"Unknown call status {(byte)status}.");
        }
    }
}
