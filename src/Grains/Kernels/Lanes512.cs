using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        return Sum(sum);
    }

    /// <summary>
    /// The sum of the sixteen lanes as a tree: the upper half onto the lower, then the upper quarter, then pairs
    /// apart by two and by one. Every dot product of the fused loop is summed in this order (the two-member loop sums
    /// both members at once in the same order, <see cref="SumPairOfHalves"/>), so a nonzero's normaliser is the
    /// same float32 value wherever it is taken. A few shuffles, where Vector512.Sum adds lane by lane.
    /// </summary>
    public static float Sum(Vector512<float> v)
    {
        var quarter = v.GetLower() + v.GetUpper();
        var lane = quarter.GetLower() + quarter.GetUpper();
        lane += Vector128.Shuffle(lane, Vector128.Create(2, 3, 0, 1));
        lane += Vector128.Shuffle(lane, Vector128.Create(1, 0, 3, 2));
        return lane.ToScalar();
    }

    /// <summary>The largest of the sixteen lanes, none of them NaN, as a tree of shuffles rather than a lane at a time.</summary>
    public static float Max(Vector512<float> v)
    {
        var half = Vector256.MaxNative(v.GetLower(), v.GetUpper());
        var quarter = Vector128.MaxNative(half.GetLower(), half.GetUpper());
        quarter = Vector128.MaxNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>The smallest of the sixteen lanes, none of them NaN, as <see cref="Max"/> takes the largest.</summary>
    public static float Min(Vector512<float> v)
    {
        var half = Vector256.MinNative(v.GetLower(), v.GetUpper());
        var quarter = Vector128.MinNative(half.GetLower(), half.GetUpper());
        quarter = Vector128.MinNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>
    /// <see cref="Sum"/> of <paramref name="a"/> in each of lanes 0–7 and of <paramref name="b"/> in each of lanes
    /// 8–15, bit for bit (float addition is commutative, and the tree adds the same pairs): both of a nonzero's member
    /// normalisers in one register, ready for one division.
    /// </summary>
    public static Vector512<float> SumPairOfHalves(Vector512<float> a, Vector512<float> b)
    {
        // [a0–3 a4–7 b0–3 b4–7] + [a8–11 a12–15 b8–11 b12–15]: each half of a and b folded onto its lower half.
        var x = Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);
        // Each 128-bit block plus its neighbour within its half.
        x += Avx512F.Shuffle4x128(x, x, 0b10_11_00_01);
        x += Avx512F.Permute4x32(x, 0b01_00_11_10);
        return x + Avx512F.Permute4x32(x, 0b10_11_00_01);
    }

    public static void MultiplyAdd(float c, float* x, float* acc, int length)
    {
        var cv = Vector512.Create(c);
        for (var j = 0; j < length; j += Vector512<float>.Count)
            Vector512.FusedMultiplyAdd(cv, Vector512.Load(x + j), Vector512.Load(acc + j)).Store(acc + j);
    }
}
