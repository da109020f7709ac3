using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Appends little-endian primitives and length-prefixed strings and byte blocks to a pooled, growing buffer.
/// Dispose returns the buffer to the pool.
/// </summary>
public sealed class WireWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public WireWriter(int initialCapacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Length => _length;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _length = 0;

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

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns them for the caller to fill.</summary>
    private Span<byte> GetSpan(int count)
    {
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
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
