using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Appends little-endian primitives and length-prefixed strings and byte blocks to a pooled, growing buffer.
/// Dispose returns the buffer to the pool. A framed writer (<see cref="BeginFrame"/>) keeps large primitive
/// arrays by reference for the message's tail instead of copying them (see <see cref="WireFrame"/>).
/// </summary>
public sealed class WireWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;
    private bool _framed;
    private bool _sealed;
    private List<Array>? _tail;
    private long _tailLength;

    public WireWriter(int initialCapacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    /// <summary>Bytes of the whole message, including a framed message's tail.</summary>
    public int Length => checked((int)(_length + _tailLength));

    /// <summary>The whole message in one buffer; a framed message's tail is copied in behind its head first.</summary>
    public ReadOnlyMemory<byte> WrittenMemory
    {
        get
        {
            Flatten();
            return _buffer.AsMemory(0, _length);
        }
    }

    public ReadOnlySpan<byte> WrittenSpan => WrittenMemory.Span;

    /// <summary>Forgets what was written, keeping the buffer; a framed writer is plain again until the next <see cref="BeginFrame"/>.</summary>
    public void Reset()
    {
        _length = 0;
        _framed = false;
        _sealed = false;
        _tail?.Clear();
        _tailLength = 0;
    }

    /// <summary>Starts a framed message on an empty writer: reserves the head length, and from here on large primitive arrays go to the tail.</summary>
    internal void BeginFrame()
    {
        if (_length != 0 || _framed)
        {
            throw new InvalidOperationException("A frame starts on an empty writer.");
        }
        GetSpan(WireFrame.HeadLengthBytes);
        _framed = true;
    }

    public void WriteByte(byte value) => GetSpan(1)[0] = value;

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16LittleEndian(GetSpan(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(GetSpan(8), value);

    public void WriteSingle(float value) => BinaryPrimitives.WriteSingleLittleEndian(GetSpan(4), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(GetSpan(8), value);

    /// <summary>Length in UTF-8 bytes (-1 for null), then the bytes.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var lengthSpan = GetSpan(4 + max);
        var written = Encoding.UTF8.GetBytes(value, lengthSpan[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(lengthSpan, written);
        _length -= max - written;
    }

    /// <summary>The bytes as they are, with no length: the reader must know how many to take.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(GetSpan(bytes.Length));

    /// <summary>
    /// Length (-1 for null), then the array's memory: copied here, or in a framed message when large, kept by
    /// reference and sent in the tail (the caller must not change it until the message is sent).
    /// </summary>
    internal void WritePrimitiveArray<T>(T[]? array) where T : unmanaged
    {
        if (array is null)
        {
            WriteInt32(-1);
            return;
        }
        WriteInt32(array.Length);
        var bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (_framed && bytes >= WireFrame.LargeArrayBytes)
        {
            (_tail ??= []).Add(array);
            _tailLength += bytes;
            return;
        }
        WriteRaw(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    /// <summary>Writes the message to <paramref name="stream"/>: the head from the buffer, then each tail array from its own memory.</summary>
    internal async ValueTask WriteToAsync(Stream stream, CancellationToken cancellationToken)
    {
        Seal();
        await stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        if (_tail is null)
        {
            return;
        }
        foreach (var array in _tail)
        {
            await stream.WriteAsync(new PrimitiveArrayMemory(array, Buffer.ByteLength(array)).Memory, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the head of a framed message: its length goes in front, and nothing more may be written.</summary>
    private void Seal()
    {
        if (!_framed || _sealed)
        {
            return;
        }
        BinaryPrimitives.WriteInt32LittleEndian(_buffer, _length - WireFrame.HeadLengthBytes);
        _sealed = true;
    }

    private void Flatten()
    {
        Seal();
        if (_tail is null || _tail.Count == 0)
        {
            return;
        }
        var tailLength = (int)_tailLength;
        _sealed = false;
        var span = GetSpan(tailLength);
        _sealed = true;
        foreach (var array in _tail)
        {
            var bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), Buffer.ByteLength(array));
            bytes.CopyTo(span);
            span = span[bytes.Length..];
        }
        _tail.Clear();
        _tailLength = 0;
    }

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns them for the caller to fill.</summary>
    private Span<byte> GetSpan(int count)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("The framed message has been sent or read out; Reset before writing another.");
        }
        if (_length + count > _buffer.Length)
        {
            Grow(_length + count);
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    private void Grow(int needed)
    {
        var capacity = Math.Max(needed, (int)Math.Min(Array.MaxLength, (long)_buffer.Length * 2));
        var larger = ArrayPool<byte>.Shared.Rent(capacity);
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        _tail = null;
        _tailLength = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
