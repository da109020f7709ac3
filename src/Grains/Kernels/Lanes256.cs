using System.Runtime.Intrinsics;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>AVX2: eight floats a register.</summary>
internal readonly unsafe struct Lanes256 : ISimdLanes
{
    public static int Width => Vector256<float>.Count;

    public static float Dot(float* a, float* b, int length)
    {
        var sum = Vector256<float>.Zero;
        for (var j = 0; j < length; j += Vector256<float>.Count)
            sum = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), Vector256.Load(b + j), sum);
        return Vector256.Sum(sum);
    }

    public static void MultiplyAdd(float c, float* x, float* acc, int length)
    {
        var cv = Vector256.Create(c);
        for (var j = 0; j < length; j += Vector256<float>.Count)
            Vector256.FusedMultiplyAdd(cv, Vector256.Load(x + j), Vector256.Load(acc + j)).Store(acc + j);
    }
}
