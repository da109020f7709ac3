namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// The two vector operations the fused loop needs, at one register width. Kernels are generic over
/// a struct implementing this, so the JIT compiles one specialised copy per width from one body.
/// Lengths passed in are whole multiples of <see cref="Width"/> (rows are padded to it).
/// </summary>
internal unsafe interface ISimdLanes
{
    static abstract int Width { get; }

    /// <summary>Σ a[j]·b[j] for j &lt; length.</summary>
    static abstract float Dot(float* a, float* b, int length);

    /// <summary>acc[j] += c·x[j] for j &lt; length.</summary>
    static abstract void MultiplyAdd(float c, float* x, float* acc, int length);
}
