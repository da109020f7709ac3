namespace Hpf.Cluster.Grains.Kernels;

/// <summary>The fallback for machines without usable vectors, and the reference the vector paths are tested against.</summary>
internal readonly unsafe struct ScalarLanes : ISimdLanes
{
    public static int Width => 1;

    public static float Dot(float* a, float* b, int length)
    {
        var sum = 0f;
        for (var j = 0; j < length; j++) sum = MathF.FusedMultiplyAdd(a[j], b[j], sum);
        return sum;
    }

    public static void MultiplyAdd(float c, float* x, float* acc, int length)
    {
        for (var j = 0; j < length; j++) acc[j] = MathF.FusedMultiplyAdd(c, x[j], acc[j]);
    }
}
