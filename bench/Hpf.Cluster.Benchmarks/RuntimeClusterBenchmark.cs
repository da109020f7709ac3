namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The two-silo cluster the runtime call benchmarks share. Each suite is its own class only because
/// BenchmarkDotNet takes one job configuration per class.
/// </summary>
public abstract class RuntimeClusterBenchmark
{
    private RuntimeBenchCluster? _cluster;

    internal RuntimeBenchCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster starts in GlobalSetup");

    [BenchmarkDotNet.Attributes.GlobalSetup]
    public void Setup() => _cluster = RuntimeBenchCluster.StartAsync().GetAwaiter().GetResult();

    [BenchmarkDotNet.Attributes.GlobalCleanup]
    public void Cleanup() => _cluster?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
