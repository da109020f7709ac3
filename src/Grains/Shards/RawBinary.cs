using System.Runtime.InteropServices;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// Arrays of numbers as their raw little-endian bytes behind a length, and strings length-prefixed, over
/// BinaryWriter/BinaryReader: shard states are hundreds of megabytes, written and read without per-element work.
/// </summary>
internal static class RawBinary
{
    public static void Write<T>(BinaryWriter writer, ReadOnlySpan<T> values) where T : unmanaged
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static T[] Read<T>(BinaryReader reader, int maxLength = int.MaxValue) where T : unmanaged
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > maxLength) throw new InvalidDataException($"an array of length {length} in a shard state");
        var values = GC.AllocateUninitializedArray<T>(length);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var read = 0;
        while (read < bytes.Length)
        {
            var n = reader.Read(bytes[read..]);
            if (n == 0) throw new EndOfStreamException("a shard state ends inside an array");
            read += n;
        }
        return values;
    }

    /// <summary>Reads an array written by <see cref="Write{T}"/> straight into <paramref name="destination"/>, which must have its length.</summary>
    public static void ReadInto<T>(BinaryReader reader, Span<T> destination) where T : unmanaged
    {
        var length = reader.ReadInt32();
        if (length != destination.Length) throw new InvalidDataException($"an array of length {length} where {destination.Length} was expected");
        var bytes = MemoryMarshal.AsBytes(destination);
        var read = 0;
        while (read < bytes.Length)
        {
            var n = reader.Read(bytes[read..]);
            if (n == 0) throw new EndOfStreamException("a shard state ends inside an array");
            read += n;
        }
    }

    public static void WriteStrings(BinaryWriter writer, string[] values)
    {
        writer.Write(values.Length);
        foreach (var value in values) writer.Write(value);
    }

    public static string[] ReadStrings(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0) throw new InvalidDataException($"a string list of length {length} in a shard state");
        var values = new string[length];
        for (var j = 0; j < length; j++) values[j] = reader.ReadString();
        return values;
    }
}
