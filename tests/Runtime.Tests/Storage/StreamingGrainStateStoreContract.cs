using System.Diagnostics;
using Hpf.Cluster.Runtime.Storage;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Storage;

/// <summary>What the real (non-test) stores must do beyond the contract: stream huge states in bounded memory.</summary>
public abstract class StreamingGrainStateStoreContract(ITestOutputHelper output) : GrainStateStoreContract(output)
{
    private const long LargeState = 200L * 1024 * 1024;

    /// <summary>
    /// Far below the state's size: the store may buffer a chunk or a few, never the state. The callbacks' own two
    /// 64 KiB blocks count too.
    /// </summary>
    private const long AllocationBound = 32L * 1024 * 1024;

    [Fact]
    public async Task A_200_MB_state_is_written_and_read_back_streaming_in_bounded_memory()
    {
        if (await OpenAsync() is not { } store) return;
        // Warm up code paths (JIT, pools, connections) so the measurement is of the state, not of first use.
        await store.WriteAsync(GrainType, "warm", (s, ct) => StatePattern.WriteAsync(s, 5_000_000, 9, ct), null, default);
        await store.ReadAsync(GrainType, "warm", (s, ct) => StatePattern.VerifyAsync(s, 5_000_000, 9, ct), default);

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

        Output.WriteLine($"{GetType().Name}: 200 MB state written in {writeTime.TotalSeconds:0.0} s allocating {written / 1048576.0:0.0} MB, "
            + $"read and checked in {readTime.TotalSeconds:0.0} s allocating {read / 1048576.0:0.0} MB");
        Assert.True(written < AllocationBound, $"writing allocated {written} bytes");
        Assert.True(read < AllocationBound, $"reading allocated {read} bytes");
    }
}
