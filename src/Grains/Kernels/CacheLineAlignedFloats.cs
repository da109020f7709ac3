using System.Runtime.CompilerServices;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// Floats whose first element starts a 64-byte cache line, kept where they are (the pinned object heap). A table of
/// weight rows of 64 floats laid out this way reads each row as four cache lines; from an ordinary array (16 bytes past
/// a line) each row would touch five, a quarter more traffic on tables larger than the caches.
/// </summary>
public sealed class CacheLineAlignedFloats
{
    private const int LineFloats = 16;
    private readonly float[] _storage;
    private readonly int _start;

    public unsafe CacheLineAlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _storage = GC.AllocateArray<float>(length + LineFloats - 1, pinned: true);
        var address = (nint)Unsafe.AsPointer(ref _storage[0]);
        _start = (int)((64 - address % 64) % 64 / sizeof(float));
        Length = length;
    }

    public int Length { get; }

    public Span<float> Span => _storage.AsSpan(_start, Length);
}
