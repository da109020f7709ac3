using System.Buffers.Binary;
using System.Text;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>Reads what <see cref="WireWriter"/> wrote; a truncated or malformed message throws <see cref="WireFormatException"/>.</summary>
public sealed class WireReader(ReadOnlyMemory<byte> buffer)
{
    private int _position;

    /// <summary>Binds grain references decoded from this message to the receiving runtime.</summary>
    internal GrainFactory? GrainFactory { get; init; }

    public int Remaining => buffer.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public bool ReadBoolean() => ReadByte() != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public float ReadSingle() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public string? ReadString()
    {
        var length = ReadInt32();
        return length switch
        {
            -1 => null,
            < -1 => throw new WireFormatException($"Negative string length {length}."),
            _ => Encoding.UTF8.GetString(Take(length)),
        };
    }

    /// <summary>Reads a length written by the sender and checks it against what is left, so a garbled length cannot make us allocate gigabytes.</summary>
    public int ReadLength(int elementSize)
    {
        var length = ReadInt32();
        if (length < -1 || (length > 0 && (long)length * elementSize > Remaining))
        {
            throw new WireFormatException($"Length {length} (x{elementSize} bytes) does not fit in the {Remaining} bytes left.");
        }
        return length;
    }

    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > buffer.Length - _position)
        {
            throw new WireFormatException($"Message truncated: needed {count} bytes, {buffer.Length - _position} left.");
        }
        var span = buffer.Span.Slice(_position, count);
        _position += count;
        return span;
    }
}
