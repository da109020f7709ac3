using System.Numerics;
using System.Runtime.InteropServices;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Slots of short ASCII ids (up to 16 bytes) kept inline in one open-addressing table, in front of the builder's
/// dictionary. Looking an id up in the dictionary touches its bucket, its entry and its string, three places far
/// apart in memory; for 48 million lines over hundreds of thousands of ids those cache misses were most of the load
/// time. Here a lookup reads one entry, which holds the id's bytes. It is only a faster way to the same slot: every
/// id is added to the dictionary first, so both always agree.
/// </summary>
internal sealed class ShortIdTable
{
    public const int MaxBytes = 16;

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public ulong Low, High;
        public int Length;   // 0: empty (ids are never empty)
        public int Slot;
    }

    private Entry[] _entries = new Entry[1024];
    private int _count;

    /// <summary>The slot stored for <paramref name="id"/> (1 to <see cref="MaxBytes"/> bytes), or -1.</summary>
    public int Find(ReadOnlySpan<byte> id)
    {
        var (low, high) = Pack(id);
        var mask = _entries.Length - 1;
        for (var at = Hash(low, high, id.Length) & mask; ; at = (at + 1) & mask)
        {
            ref var e = ref _entries[at];
            if (e.Length == 0) return -1;
            if (e.Low == low && e.High == high && e.Length == id.Length) return e.Slot;
        }
    }

    /// <summary>Stores a slot for an id that <see cref="Find"/> did not find.</summary>
    public void Add(ReadOnlySpan<byte> id, int slot)
    {
        if (2 * (_count + 1) > _entries.Length) Grow();
        var (low, high) = Pack(id);
        Place(_entries, low, high, id.Length, slot);
        _count++;
    }

    private static void Place(Entry[] entries, ulong low, ulong high, int length, int slot)
    {
        var mask = entries.Length - 1;
        var at = Hash(low, high, length) & mask;
        while (entries[at].Length != 0) at = (at + 1) & mask;
        entries[at] = new Entry { Low = low, High = high, Length = length, Slot = slot };
    }

    private void Grow()
    {
        var larger = new Entry[2 * _entries.Length];
        foreach (var e in _entries)
            if (e.Length != 0) Place(larger, e.Low, e.High, e.Length, e.Slot);
        _entries = larger;
    }

    private static (ulong Low, ulong High) Pack(ReadOnlySpan<byte> id)
    {
        Span<byte> key = stackalloc byte[MaxBytes];
        key.Clear();
        id.CopyTo(key);
        return (MemoryMarshal.Read<ulong>(key), MemoryMarshal.Read<ulong>(key[8..]));
    }

    private static int Hash(ulong low, ulong high, int length)
    {
        var h = (low * 0x9E3779B97F4A7C15UL) ^ BitOperations.RotateLeft(high * 0xC2B2AE3D27D4EB4FUL, 31) ^ (ulong)length;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        return (int)(h >> 33);
    }
}
