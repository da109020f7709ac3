namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Arrays of primitives travel as a length and their memory as it is (little-endian on every platform .NET
/// runs silos on): one block copy each way at most, no per-element encoding. In a framed message large ones
/// travel in the tail (see <see cref="WireFrame"/>), where they are written and read without a copy.
/// </summary>
internal sealed class RawArraySerializer<T> : WireSerializer<T[]?> where T : unmanaged
{
    public override void Write(WireWriter writer, T[]? value) => writer.WritePrimitiveArray(value);

    public override T[]? Read(WireReader reader) => reader.ReadPrimitiveArray<T>();
}
