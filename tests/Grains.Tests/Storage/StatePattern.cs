using System.Runtime.InteropServices;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>
/// Deterministic test states made of 64 KiB blocks whose contents depend on the block's position and a seed,
/// generated and checked block by block so a test of a huge state never holds it whole.
/// </summary>
internal static class StatePattern
{
    public const int BlockSize = 64 * 1024;

    public static void Fill(Span<byte> block, long blockIndex, ulong seed)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(block);
        var first = (ulong)blockIndex * (BlockSize / sizeof(ulong));
        for (var i = 0; i < words.Length; i++)
            words[i] = (first + (ulong)i + seed) * 0x9E3779B97F4A7C15UL;
    }

    public static async Task WriteAsync(Stream stream, long bytes, ulong seed, CancellationToken cancellationToken)
    {
        var block = new byte[BlockSize];
        for (long index = 0, left = bytes; left > 0; index++, left -= BlockSize)
        {
            Fill(block, index, seed);
            await stream.WriteAsync(block.AsMemory(0, (int)Math.Min(left, BlockSize)), cancellationToken);
        }
    }

    /// <summary>Reads the stream to its end and fails unless it is exactly the pattern of <paramref name="bytes"/> bytes.</summary>
    public static async Task VerifyAsync(Stream stream, long bytes, ulong seed, CancellationToken cancellationToken)
    {
        var expected = new byte[BlockSize];
        var actual = new byte[BlockSize];
        for (long index = 0, left = bytes; left > 0; index++, left -= BlockSize)
        {
            var length = (int)Math.Min(left, BlockSize);
            Fill(expected, index, seed);
            await stream.ReadExactlyAsync(actual.AsMemory(0, length), cancellationToken);
            if (!expected.AsSpan(0, length).SequenceEqual(actual.AsSpan(0, length)))
                Assert.Fail($"The state differs from what was written in block {index} (offset {index * BlockSize}).");
        }
        Assert.Equal(0, await stream.ReadAsync(actual, cancellationToken));
    }
}
