using System.Buffers;
using System.Runtime.InteropServices;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// The bytes of a primitive array as <see cref="Memory{T}"/> of bytes, so a stream can read into or write from
/// the array itself (streams take byte memory, and a float[] cannot be cast to one).
/// </summary>
internal sealed class PrimitiveArrayMemory(Array array, int byteLength) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), byteLength);

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
    }

    public override void Unpin()
    {
        // The GCHandle travels in the MemoryHandle, whose Dispose frees it.
    }

    protected override void Dispose(bool disposing)
    {
        // Nothing to release: the array belongs to its caller.
    }
}
