using BenchmarkDotNet.Attributes;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// Latency of an empty grain call made on silo 0 to a grain on silo 0 (no serialisation, no network) and to
/// one on silo 1 (HTTP/2 over loopback), and throughput with 64 concurrent callers.
/// </summary>
[Config(typeof(RuntimeBenchmarkConfig))]
[MemoryDiagnoser]
public class RuntimeCallBenchmarks
{
    private const int Callers = 64;
    private RuntimeBenchCluster _cluster = null!;

    [GlobalSetup]
    public void Setup() => _cluster = RuntimeBenchCluster.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public Task EmptyCallSameSilo() => _cluster.SameSilo.Ping();

    [Benchmark]
    public Task EmptyCallAcrossSilos() => _cluster.OtherSilo.Ping();

    /// <summary>Reported per call: 1 / this is calls per second with 64 callers in flight.</summary>
    [Benchmark(OperationsPerInvoke = Callers)]
    public Task ConcurrentCallsAcrossSilos()
    {
        var calls = new Task[Callers];
        for (var i = 0; i < Callers; i++)
        {
            calls[i] = _cluster.OtherSilo.Ping();
        }
        return Task.WhenAll(calls);
    }
}
