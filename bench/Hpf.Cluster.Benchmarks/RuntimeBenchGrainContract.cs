using Hpf.Cluster.Runtime;

namespace Hpf.Cluster.Benchmarks;

/// <summary>The grain the runtime benchmarks call: an empty method and one that takes a large array.</summary>
public interface IRuntimeBenchGrain : IGrainWithStringKey
{
    Task Ping();

    Task<int> Receive(float[] values);
}
