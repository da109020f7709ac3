using Orleans.Concurrency;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>A grain that takes a block of rows, as a shard takes another silo's pushed rows: the transfer benchmark's callee.</summary>
[Alias("hpf.bench.IRowSinkGrain")]
public interface IRowSinkGrain : IGrainWithIntegerKey
{
    /// <summary>The number of floats received. Interleaving, as a shard's AcceptPush is: the parts of one block arrive at once.</summary>
    [Alias("Take")]
    [AlwaysInterleave]
    Task<int> Take(ArrayPayload<float> rows);
}

public sealed class RowSinkGrain : Grain, IRowSinkGrain
{
    public Task<int> Take(ArrayPayload<float> rows) => Task.FromResult(rows.Length);
}
