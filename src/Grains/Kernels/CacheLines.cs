using System.Runtime.Intrinsics.X86;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// Asks for the cache lines of a row of a table ahead of its use: the likelihood and the budget model's pair loops read
/// one row of a table larger than the caches per step, and ask for the next one while this one computes.
/// </summary>
public static class CacheLines
{
    /// <summary>Asks for every cache line of elements [start, start + length) of <paramref name="table"/>.</summary>
    public static void Prefetch<T>(T[] table, int start, int length) where T : unmanaged =>
        Prefetch((ReadOnlySpan<T>)table.AsSpan(start, length));

    /// <summary>Asks for every cache line of <paramref name="elements"/>.</summary>
    public static unsafe void Prefetch<T>(ReadOnlySpan<T> elements) where T : unmanaged
    {
        if (!Sse.IsSupported || elements.IsEmpty) return;
        fixed (T* first = elements)
        {
            var row = (byte*)first;
            var bytes = elements.Length * sizeof(T);
            for (var offset = 0; offset < bytes; offset += 64) Sse.Prefetch0(row + offset);
            Sse.Prefetch0(row + bytes - 1);
        }
    }
}
