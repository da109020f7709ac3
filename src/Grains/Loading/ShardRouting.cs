using System.Text;

namespace Hpf.Cluster.Grains.Loading;

/// <summary>
/// Which shard a row belongs to: hash(id) mod S, with a hash that is the same in every process (string.GetHashCode
/// is randomised per process), so any silo or console that routes an upload sends each triplet where every other
/// would. The hash is FNV-1a over the id's UTF-8 bytes, then the MurmurHash3 finaliser so nearby ids spread.
/// </summary>
public static class ShardRouting
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    public static int ShardOf(string id, int shards) => shards == 1 ? 0 : (int)(Hash(id) % (ulong)shards);

    internal static ulong Hash(string id)
    {
        Span<byte> stack = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(id.Length);
        var bytes = max <= stack.Length ? stack : new byte[max];
        var length = Encoding.UTF8.GetBytes(id, bytes);
        var hash = FnvOffset;
        foreach (var b in bytes[..length])
        {
            hash ^= b;
            hash *= FnvPrime;
        }
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        hash *= 0xC4CEB9FE1A85EC53UL;
        hash ^= hash >> 33;
        return hash;
    }
}
