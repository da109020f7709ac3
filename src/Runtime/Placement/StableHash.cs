using System.Text;

namespace Hpf.Cluster.Runtime.Placement;

/// <summary>
/// A 64-bit hash that is the same in every process and every run (string.GetHashCode is randomised per
/// process, so two silos would disagree on placement): FNV-1a over UTF-8 bytes, then the MurmurHash3
/// finaliser so that nearby inputs spread over all 64 bits.
/// </summary>
public static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    public static ulong Of(string text) => Of(text, FnvOffset);

    public static ulong Of(string first, string second) => Of(second, Of(first, FnvOffset) ^ 0xFF);

    public static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    private static ulong Of(string text, ulong seed)
    {
        Span<byte> stack = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var bytes = max <= stack.Length ? stack : new byte[max];
        var length = Encoding.UTF8.GetBytes(text, bytes);
        var hash = seed;
        foreach (var b in bytes[..length])
        {
            hash ^= b;
            hash *= FnvPrime;
        }
        return Mix(hash);
    }
}
