using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote; a truncated or malformed message throws <see cref="WireFormatException"/>.
/// A framed message (see <see cref="WireFrame"/>) is read either whole from the buffer, or with only its head in
/// the buffer and the tail still in a stream: then large arrays are taken here (from <see cref="ReceivedArrayPool{T}"/>)
/// and listed in <see cref="PendingArrays"/> for the caller to fill from the stream.
/// </summary>
public sealed class WireReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly long _streamedTail;
    private int _position;
    private int _end;
    private bool _framed;
    private long _tailPosition;
    private long _tailEnd;
    private List<Array>? _pending;

    public WireReader(ReadOnlyMemory<byte> buffer)
    {
        _buffer = buffer;
        _end = buffer.Length;
        _streamedTail = -1;
    }

    /// <summary>A reader over the length and head of a framed message whose tail of <paramref name="tailLength"/> bytes has not been read yet.</summary>
    internal WireReader(ReadOnlyMemory<byte> head, long tailLength)
        : this(head)
    {
        _streamedTail = tailLength;
    }

    /// <summary>Binds grain references decoded from this message to the receiving runtime.</summary>
    internal GrainFactory? GrainFactory { get; init; }

    /// <summary>Bytes left to read (in a framed message: in its head).</summary>
    public int Remaining => _end - _position;

    /// <summary>Large arrays of a streamed framed message, in tail order, allocated but not yet filled.</summary>
    internal IReadOnlyList<Array> PendingArrays => _pending ?? (IReadOnlyList<Array>)[];

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

    /// <summary>Reads the head length of a framed message; the reader must be at its start.</summary>
    internal void BeginFrame()
    {
        if (_position != 0 || _framed)
        {
            throw new InvalidOperationException("A frame is read from the start of a message.");
        }
        var headLength = ReadInt32();
        if (headLength < 0 || headLength > Remaining || (_streamedTail >= 0 && headLength != Remaining))
        {
            throw new WireFormatException($"Frame head of {headLength} bytes does not fit the {Remaining} bytes received.");
        }
        _framed = true;
        _end = _position + headLength;
        _tailPosition = _streamedTail >= 0 ? 0 : _end;
        _tailEnd = _streamedTail >= 0 ? _streamedTail : _buffer.Length;
    }

    /// <summary>Checks that the head and the tail were consumed exactly, so a message that says more or less than it carries fails.</summary>
    internal void EndFrame()
    {
        if (_position != _end || _tailPosition != _tailEnd)
        {
            throw new WireFormatException($"Frame not consumed exactly: {_end - _position} head and {_tailEnd - _tailPosition} tail bytes left over.");
        }
    }

    /// <summary>Reads what <see cref="WireWriter.WritePrimitiveArray{T}"/> wrote: from the head, or (large, framed) from the tail.</summary>
    internal T[]? ReadPrimitiveArray<T>() where T : unmanaged
    {
        var length = ReadInt32();
        if (length == -1)
        {
            return null;
        }
        var bytes = (long)length * Unsafe.SizeOf<T>();
        var inTail = _framed && bytes >= WireFrame.LargeArrayBytes;
        var left = inTail ? _tailEnd - _tailPosition : Remaining;
        if (length < -1 || bytes > left)
        {
            throw new WireFormatException($"Array of {length} x{Unsafe.SizeOf<T>()} bytes does not fit in the {left} bytes left{(inTail ? " in the tail" : "")}.");
        }
        // A large array is the bulk of a message, usually one a receiver gets again and again at the same length.
        var array = inTail ? ReceivedArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);
        var destination = MemoryMarshal.AsBytes(array.AsSpan());
        if (!inTail)
        {
            Take((int)bytes).CopyTo(destination);
        }
        else if (_streamedTail >= 0)
        {
            (_pending ??= []).Add(array);
        }
        else
        {
            _buffer.Span.Slice((int)_tailPosition, (int)bytes).CopyTo(destination);
        }
        if (inTail)
        {
            _tailPosition += bytes;
        }
        return array;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _end - _position)
        {
            throw new WireFormatException($"Message truncated: needed {count} bytes, {_end - _position} left.");
        }
        var span = _buffer.Span.Slice(_position, count);
        _position += count;
        return span;
    }
}
