using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Slots of short ASCII ids (up to 16 bytes) kept inline in one open-addressing table, in front of the builder's
/// dictionary. Looking an id up in the dictionary touches its bucket, its entry and its string, three places far
/// apart in memory; for 48 million lines over hundreds of thousands of ids those cache misses were most of the load
/// time. Here a lookup reads one entry, which holds the id's bytes, and a reader that knows its next ids can ask for
/// their entries ahead (<see cref="Prefetch"/>). It is only a faster way to the same slot: every id is added to the
/// dictionary first, so both always agree.
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

    /// <summary>Forgets every id, giving back the table's memory.</summary>
    public void Clear()
    {
        _entries = new Entry[1024];
        _count = 0;
    }

    /// <summary>An id's bytes packed into two words, zero beyond its length, and its hash: what a lookup compares.</summary>
    public readonly record struct Key(ulong Low, ulong High, int Length, int Hash);

    /// <summary>The key of an id of 1 to <see cref="MaxBytes"/> bytes.</summary>
    public static Key KeyOf(ReadOnlySpan<byte> id)
    {
        var (low, high) = Pack(id);
        return new Key(low, high, id.Length, Hash(low, high, id.Length));
    }

    /// <summary>The slot stored for the id of <paramref name="key"/>, or -1.</summary>
    public int Find(in Key key)
    {
        var mask = _entries.Length - 1;
        for (var at = key.Hash & mask; ; at = (at + 1) & mask)
        {
            ref var e = ref _entries[at];
            if (e.Length == 0) return -1;
            if (e.Low == key.Low && e.High == key.High && e.Length == key.Length) return e.Slot;
        }
    }

    /// <summary>
    /// Asks for the cache lines of the key's first entry, so that a lookup some lines later finds it in cache: a table
    /// of hundreds of thousands of ids is far larger than the caches, and one lookup after another waits for each miss.
    /// </summary>
    public unsafe void Prefetch(in Key key)
    {
        if (!Sse.IsSupported) return;
        ref var e = ref _entries[key.Hash & (_entries.Length - 1)];
        var first = (byte*)Unsafe.AsPointer(ref e);
        // An entry is 24 bytes, so one in four lies across two lines. Should the collector move the array once the address
        // is taken, the hint goes to a stale address: a prefetch never faults, so that only wastes it.
        Sse.Prefetch0(first);
        Sse.Prefetch0(first + Unsafe.SizeOf<Entry>() - 1);
    }

    /// <summary>Stores a slot for the id of a key that <see cref="Find"/> did not find.</summary>
    public void Add(in Key key, int slot)
    {
        if (2 * (_count + 1) > _entries.Length) Grow();
        Place(_entries, key.Low, key.High, key.Length, slot, key.Hash);
        _count++;
    }

    private static void Place(Entry[] entries, ulong low, ulong high, int length, int slot, int hash)
    {
        var mask = entries.Length - 1;
        var at = hash & mask;
        while (entries[at].Length != 0) at = (at + 1) & mask;
        entries[at] = new Entry { Low = low, High = high, Length = length, Slot = slot };
    }

    private void Grow()
    {
        var larger = new Entry[2 * _entries.Length];
        foreach (var e in _entries)
            if (e.Length != 0) Place(larger, e.Low, e.High, e.Length, e.Slot, Hash(e.Low, e.High, e.Length));
        _entries = larger;
    }

    /// <summary>
    /// The id's bytes as two little-endian words, zero beyond its length: bytes [0, 8) and [8, 16). Read straight from
    /// the id rather than through a zeroed copy (a stackalloc per lookup).
    /// </summary>
    private static (ulong Low, ulong High) Pack(ReadOnlySpan<byte> id)
    {
        var n = id.Length;
        if (n > MaxBytes) throw new ArgumentException($"an inline id has at most {MaxBytes} bytes", nameof(id));
        ref var bytes = ref MemoryMarshal.GetReference(id);
        if (n >= 8)
        {
            var low = Unsafe.ReadUnaligned<ulong>(ref bytes);
            if (n == 8) return (low, 0);
            // Bytes [n − 8, n), shifted so that byte 8 comes first: the bytes below 8 fall off the low end.
            var tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, n - 8));
            return (low, tail >> (8 * (MaxBytes - n)));
        }
        ulong word = 0;
        for (var j = n - 1; j >= 0; j--) word = (word << 8) | Unsafe.Add(ref bytes, j);
        return (word, 0);
    }

    private static int Hash(ulong low, ulong high, int length)
    {
        var h = (low * 0x9E3779B97F4A7C15UL) ^ BitOperations.RotateLeft(high * 0xC2B2AE3D27D4EB4FUL, 31) ^ (ulong)length;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        return (int)(h >> 33);
    }
}
