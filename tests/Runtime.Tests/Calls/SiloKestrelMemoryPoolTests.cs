using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime.Tests.Calls;

public sealed class SiloKestrelMemoryPoolTests
{
    [Fact]
    public async Task A_silo_gives_Kestrel_its_large_blocks()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var factory = cluster.Silos[0].Services.GetRequiredService<IMemoryPoolFactory<byte>>();
        using var pool = factory.Create();
        Assert.IsType<SiloKestrelMemoryPool>(pool);
        using var block = pool.Rent();
        Assert.Equal(SiloKestrelMemoryPool.BlockBytes, block.Memory.Length);
    }

    [Fact]
    public void A_returned_block_is_rented_again_and_a_second_dispose_does_not_return_it_twice()
    {
        using var pool = new SiloKestrelMemoryPool();
        var first = pool.Rent(100);
        var memory = first.Memory;
        first.Dispose();
        first.Dispose();
        var again = pool.Rent(100);
        var other = pool.Rent(100);
        Assert.True(again.Memory.Span == memory.Span, "the returned block is reused");
        Assert.False(other.Memory.Span == memory.Span, "a block disposed twice was pooled twice");
        again.Dispose();
        other.Dispose();
    }

    [Fact]
    public void A_request_over_the_block_size_gets_a_buffer_of_its_own()
    {
        using var pool = new SiloKestrelMemoryPool();
        using var big = pool.Rent(SiloKestrelMemoryPool.BlockBytes + 1);
        Assert.True(big.Memory.Length >= SiloKestrelMemoryPool.BlockBytes + 1);
        Assert.Equal(SiloKestrelMemoryPool.BlockBytes, pool.MaxBufferSize);
    }
}
