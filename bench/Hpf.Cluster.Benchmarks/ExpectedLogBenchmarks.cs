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
    private readonly double[] _exps = new double[50];

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

    /// <summary>The default ensemble's row: E[log] of 50, then each member of 25 shifted by its own max into 32 padded lanes.</summary>
    [Benchmark]
    public float TwoMembersByExpectedLog()
    {
        ExpectedLog.Compute(_shape, _rate, _elog);
        return ExpectedLog.ExpShifted(_elog.AsSpan(0, 25), _exp.AsSpan(0, 32)) + ExpectedLog.ExpShifted(_elog.AsSpan(25, 25), _exp.AsSpan(32, 32));
    }

    /// <summary>The same weights with no log: exp(E[log]) in float64, each member scaled by its max.</summary>
    [Benchmark]
    public double TwoMembersByExponentials()
    {
        ExpectedLog.ExpOf(_shape, _rate, _exps);
        return ExpectedLog.ScaleToMax(_exps.AsSpan(0, 25), _exp.AsSpan(0, 32)) + ExpectedLog.ScaleToMax(_exps.AsSpan(25, 25), _exp.AsSpan(32, 32));
    }

    [Benchmark]
    public float ScalarDigammaOfFifty()
    {
        var sum = 0f;
        for (var k = 0; k < 50; k++) sum += SpecialFunctions.Digamma(_shape[k]);
        return sum;
    }
}
