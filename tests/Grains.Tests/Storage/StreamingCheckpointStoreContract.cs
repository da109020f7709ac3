using System.Diagnostics;
using Xunit.Abstractions;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>What the real (non-test) stores must do beyond the contract: stream huge states in bounded memory.</summary>
public abstract class StreamingCheckpointStoreContract(ITestOutputHelper output) : CheckpointStoreContract(output)
{
    private const long LargeState = 300L * 1024 * 1024;

    /// <summary>
    /// Far below the state's size: a store may hold a block or a few, never the state. The callbacks' own two 64 KiB
    /// blocks count too.
    /// </summary>
    private const long AllocationBound = 32L * 1024 * 1024;

    [Fact]
    public async Task A_300_MB_state_is_written_and_read_back_streaming_in_bounded_memory()
    {
        var store = CreateStore();
        // Warm up code paths (JIT, pools, connections) so the measurement is of the state, not of first use.
        var warm = await store.WriteAsync(GrainType, "warm", (s, ct) => StatePattern.WriteAsync(s, 20_000_000, 9, ct), null, default);
        await store.ReadAsync(GrainType, "warm", (s, ct) => StatePattern.VerifyAsync(s, 20_000_000, 9, ct), default);
        await store.WriteAsync(GrainType, "warm", (s, ct) => StatePattern.WriteAsync(s, 20_000_000, 8, ct), warm, default);

        var clock = Stopwatch.StartNew();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var etag = await store.WriteAsync(GrainType, "large", (s, ct) => StatePattern.WriteAsync(s, LargeState, 7, ct), null, default);
        var written = GC.GetTotalAllocatedBytes(precise: true) - before;
        var writeTime = clock.Elapsed;

        clock.Restart();
        before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Equal(etag, await store.ReadAsync(GrainType, "large", (s, ct) => StatePattern.VerifyAsync(s, LargeState, 7, ct), default));
        var read = GC.GetTotalAllocatedBytes(precise: true) - before;
        var readTime = clock.Elapsed;

        Output.WriteLine($"{GetType().Name}: 300 MB state written in {writeTime.TotalSeconds:0.0} s allocating {written / 1048576.0:0.0} MB, "
            + $"read and checked in {readTime.TotalSeconds:0.0} s allocating {read / 1048576.0:0.0} MB");
        Assert.True(written < AllocationBound, $"writing allocated {written} bytes");
        Assert.True(read < AllocationBound, $"reading allocated {read} bytes");
    }
}
