using Hpf.Cluster.Runtime;

namespace Hpf.Cluster.Benchmarks;

/// <summary>Does nothing, so the benchmarks measure the runtime.</summary>
public sealed class RuntimeBenchGrain : Grain, IRuntimeBenchGrain
{
    public Task Ping() => Task.CompletedTask;

    public Task<int> Receive(float[] values) => Task.FromResult(values.Length);
}
