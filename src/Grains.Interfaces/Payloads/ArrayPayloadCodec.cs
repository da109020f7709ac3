using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// Writes an <see cref="ArrayPayload{T}"/> as its byte length and the array's raw little-endian bytes, and reads it
/// back into a new array of the same length: one copy into the send buffer and one out of the receive buffer,
/// nothing per element.
/// </summary>
[RegisterSerializer]
public sealed class ArrayPayloadCodec<T> : IFieldCodec<ArrayPayload<T>> where T : unmanaged
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] ArrayPayload<T> value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value)) return;
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(ArrayPayload<T>), WireType.LengthPrefixed);
        var bytes = MemoryMarshal.AsBytes(value!.Array.AsSpan());
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    public ArrayPayload<T> ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<ArrayPayload<T>, TInput>(ref reader, field)!;
        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (length % size != 0) throw new InvalidDataException($"an array of {typeof(T).Name} cannot be {length} bytes long");
        var result = new ArrayPayload<T>(GC.AllocateUninitializedArray<T>((int)(length / size)));
        reader.ReadBytes(MemoryMarshal.AsBytes(result.Array.AsSpan()));
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}

/// <summary>Hands the payload on as it is: senders never change an array after sending it (see <see cref="ArrayPayload{T}"/>).</summary>
[RegisterCopier]
public sealed class ArrayPayloadCopier<T> : IDeepCopier<ArrayPayload<T>>, IOptionalDeepCopier where T : unmanaged
{
    public ArrayPayload<T>? DeepCopy(ArrayPayload<T>? input, CopyContext context) => input;

    public bool IsShallowCopyable() => true;
}
