using System.Runtime.Intrinsics;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>AVX-512: sixteen floats a register.</summary>
internal readonly unsafe struct Lanes512 : ISimdLanes
{
    public static int Width => Vector512<float>.Count;

    public static float Dot(float* a, float* b, int length)
    {
        var sum = Vector512<float>.Zero;
        for (var j = 0; j < length; j += Vector512<float>.Count)
            sum = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), Vector512.Load(b + j), sum);
        return Vector512.Sum(sum);
    }

    public static void MultiplyAdd(float c, float* x, float* acc, int length)
    {
        var cv = Vector512.Create(c);
        for (var j = 0; j < length; j += Vector512<float>.Count)
            Vector512.FusedMultiplyAdd(cv, Vector512.Load(x + j), Vector512.Load(acc + j)).Store(acc + j);
    }
}
