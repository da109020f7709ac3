using System.Numerics;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64 as its authors recommend. A value type so that each
/// row of a generator can own its stream: <see cref="ForStream"/> derives the stream from (seed, purpose, index)
/// alone, which makes the output the same whatever the thread count or the order rows are visited in.
/// </summary>
internal struct Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256StarStar(ulong seed)
    {
        var state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>An independent stream for one row: <paramref name="purpose"/> separates, say, user factors from user counts.</summary>
    public static Xoshiro256StarStar ForStream(ulong seed, ulong purpose, ulong index)
    {
        var state = seed;
        var key = SplitMix64(ref state);
        state = key ^ (purpose * 0xD1B54A32D192ED03UL);
        key = SplitMix64(ref state);
        state = key ^ index;
        return new Xoshiro256StarStar(SplitMix64(ref state));
    }

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform on (0, 1]: safe to take the logarithm of.</summary>
    public double NextDoubleNonZero() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Uniform on [0, n) without modulo bias worth the name: the high word of a 64×64-bit product.</summary>
    public int NextInt(int n) => (int)Math.BigMul(NextUInt64(), (ulong)n, out _);

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
