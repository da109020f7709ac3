using System.Runtime.Intrinsics;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>Which register width the hot loops use.</summary>
public enum SimdWidth
{
    /// <summary>The widest this machine accelerates (HPF_SIMD=512|256|scalar overrides, for benchmarks and tests).</summary>
    Auto,
    Scalar,
    Bits256,
    Bits512,
}

/// <summary>Resolves <see cref="SimdWidth.Auto"/> and gives the padded row length for a width.</summary>
public static class SimdWidths
{
    public static SimdWidth Resolve(SimdWidth requested)
    {
        if (requested == SimdWidth.Auto)
        {
            requested = Environment.GetEnvironmentVariable("HPF_SIMD") switch
            {
                "scalar" => SimdWidth.Scalar,
                "256" => SimdWidth.Bits256,
                "512" => SimdWidth.Bits512,
                _ => Vector512.IsHardwareAccelerated ? SimdWidth.Bits512
                    : Vector256.IsHardwareAccelerated ? SimdWidth.Bits256 : SimdWidth.Scalar,
            };
        }
        // Never hand a width to a machine that cannot run it.
        if (requested == SimdWidth.Bits512 && !Vector512.IsHardwareAccelerated) requested = SimdWidth.Bits256;
        if (requested == SimdWidth.Bits256 && !Vector256.IsHardwareAccelerated) requested = SimdWidth.Scalar;
        return requested;
    }

    public static int Lanes(SimdWidth width) => width switch
    {
        SimdWidth.Bits512 => Lanes512.Width,
        SimdWidth.Bits256 => Lanes256.Width,
        SimdWidth.Scalar => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, "resolve Auto first"),
    };

    /// <summary>K rounded up to a whole number of registers: the stride of the exp(E[log]) rows.</summary>
    public static int Stride(int factors, SimdWidth width)
    {
        var lanes = Lanes(width);
        return (factors + lanes - 1) / lanes * lanes;
    }
}
