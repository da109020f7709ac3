using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Arrays of primitives travel as a length and their memory as it is (little-endian on every platform .NET
/// runs silos on): one block copy each way, no per-element encoding.
/// </summary>
internal sealed class RawArraySerializer<T> : WireSerializer<T[]?> where T : unmanaged
{
    public override void Write(WireWriter writer, T[]? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }
        writer.WriteInt32(value.Length);
        writer.WriteRaw(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    public override T[]? Read(WireReader reader)
    {
        var length = reader.ReadLength(Unsafe.SizeOf<T>());
        if (length < 0)
        {
            return null;
        }
        var array = GC.AllocateUninitializedArray<T>(length);
        reader.ReadRaw(length * Unsafe.SizeOf<T>()).CopyTo(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }
}
