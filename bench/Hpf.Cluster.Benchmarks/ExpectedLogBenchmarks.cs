using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Benchmarks;

/// <summary>E[log] = ψ(shape) − log(rate) and exp(E[log] − max) for one row of K = 50: the per-row cost of a half-step.</summary>
[MemoryDiagnoser]
public class ExpectedLogBenchmarks
{
    private readonly float[] _shape = new float[50];
    private readonly float[] _rate = new float[50];
    private readonly float[] _elog = new float[50];
    private readonly float[] _exp = new float[64];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var k = 0; k < 50; k++)
        {
            _shape[k] = (float)(0.3 + random.NextDouble() * 20);
            _rate[k] = (float)(0.3 + random.NextDouble() * 500);
        }
    }

    [Benchmark]
    public float RowOfFifty()
    {
        ExpectedLog.Compute(_shape, _rate, _elog);
        return ExpectedLog.ExpShifted(_elog, _exp);
    }

    [Benchmark]
    public float ScalarDigammaOfFifty()
    {
        var sum = 0f;
        for (var k = 0; k < 50; k++) sum += SpecialFunctions.Digamma(_shape[k]);
        return sum;
    }
}
