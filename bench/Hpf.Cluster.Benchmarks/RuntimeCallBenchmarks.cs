using BenchmarkDotNet.Attributes;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// Latency of an empty grain call made on silo 0 to a grain on silo 0 (no serialisation, no network) and to
/// one on silo 1 (the silo link over loopback), and throughput with 64 concurrent callers.
/// </summary>
[Config(typeof(RuntimeBenchmarkConfig))]
[MemoryDiagnoser]
public class RuntimeCallBenchmarks : RuntimeClusterBenchmark
{
    private const int Callers = 64;
    [Benchmark(Baseline = true)]
    public Task EmptyCallSameSilo() => Cluster.SameSilo.Ping();

    [Benchmark]
    public Task EmptyCallAcrossSilos() => Cluster.OtherSilo.Ping();

    /// <summary>Reported per call: 1 / this is calls per second with 64 callers in flight.</summary>
    [Benchmark(OperationsPerInvoke = Callers)]
    public Task ConcurrentCallsAcrossSilos()
    {
        var calls = new Task[Callers];
        for (var i = 0; i < Callers; i++)
        {
            calls[i] = Cluster.OtherSilo.Ping();
        }
        return Task.WhenAll(calls);
    }
}
