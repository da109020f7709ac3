using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The fused φ/shape loop alone, one thread, one pass over every row (ml100k: 80,155 nonzeros; 1M:
/// 1,000,000): compare with bench/native/fused_loop.c on the same shapes. Target: within 1.5× of the
/// hand-written AVX-512 C.
/// </summary>
[MemoryDiagnoser]
public class FusedLoopBenchmarks
{
    private KernelLayout _layout = null!;
    private double[] _acc = null!;
    private float[] _partial = null!;

    [Params(SimdWidth.Scalar, SimdWidth.Bits256, SimdWidth.Bits512)]
    public SimdWidth Width { get; set; }

    /// <summary>MovieLens 100k's shape (943 × 1682, 85 per user) and a 1M-nonzero one (20k × 10k, 50 per user).</summary>
    [Params("ml100k", "1M")]
    public string Shape { get; set; } = "ml100k";

    public const int Factors = 50;

    [GlobalSetup]
    public void Setup()
    {
        var stride = SimdWidths.Stride(Factors, Width);
        _layout = Shape == "1M" ? new KernelLayout(20_000, 10_000, 50, Factors, stride) : new KernelLayout(943, 1682, 85, Factors, stride);
        _acc = new double[stride];
        _partial = new float[stride];
    }

    [Benchmark]
    public double OnePass()
    {
        var layout = _layout;
        double checksum = 0;
        for (var u = 0; u < layout.Users; u++)
        {
            var start = layout.RowStart[u];
            var length = layout.RowStart[u + 1] - start;
            FusedShapePass.Accumulate(layout.Other.AsSpan(start, length), layout.Counts.AsSpan(start, length),
                layout.UserExpElog.AsSpan(u * layout.Stride, layout.Stride), layout.ItemExpElog, layout.Stride, _acc, _partial, Width);
            checksum += _acc[0];
        }
        return checksum;
    }
}
