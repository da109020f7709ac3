using System.Runtime.Intrinsics;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// How a row's K factors split into the ensemble's members (<see cref="Interfaces.TrainingOptions.Members"/>) and
/// where each member's weights exp(E[log] − member max) sit in a padded weight row. Parameters (shape, rate, E[x])
/// keep the factors contiguous, [row × K]; a weight row gives each member its own whole registers, so the fused loop
/// runs on every member exactly as on a model of that member's size. With one member the weight row is the plain
/// padded row of K.
/// </summary>
public sealed class FactorMembers
{
    private readonly int[] _factorStart;
    private readonly int[] _weightStart;
    private readonly int[] _weightStride;

    public FactorMembers(int factors, int members, SimdWidth width)
    {
        if (members < 1 || members > factors)
            throw new ArgumentOutOfRangeException(nameof(members), members, $"members must lie in [1, K], K = {factors}");
        Factors = factors;
        Count = members;
        _factorStart = new int[members + 1];
        _weightStart = new int[members + 1];
        _weightStride = new int[members];
        for (var m = 0; m < members; m++)
        {
            var size = factors / members + (m < factors % members ? 1 : 0);
            _factorStart[m + 1] = _factorStart[m] + size;
            _weightStride[m] = SimdWidths.Stride(size, width);
            _weightStart[m + 1] = _weightStart[m] + _weightStride[m];
        }
        Stride = _weightStart[members];
    }

    public int Factors { get; }
    public int Count { get; }
    /// <summary>Length of a weight row: every member's factors padded to whole registers.</summary>
    public int Stride { get; }

    public int FactorStart(int member) => _factorStart[member];
    public int FactorCount(int member) => _factorStart[member + 1] - _factorStart[member];
    public int WeightStart(int member) => _weightStart[member];
    /// <summary>The member's padded length in a weight row.</summary>
    public int WeightStride(int member) => _weightStride[member];

    /// <summary>The member's factors of a [K] row (parameters, E[log], y·φ).</summary>
    public Span<T> FactorsOf<T>(Span<T> row, int member) => row.Slice(_factorStart[member], FactorCount(member));

    /// <summary>The member's weights of a weight row, padding included.</summary>
    public Span<T> WeightsOf<T>(Span<T> row, int member) => row.Slice(_weightStart[member], _weightStride[member]);

    /// <summary>weights = exp(elog − max) per member (each member its own max), zero padding; elog is [K].</summary>
    /// <returns>False when a max is NaN or infinite.</returns>
    public bool ExpShifted(ReadOnlySpan<float> elog, Span<float> weights)
    {
        var finite = true;
        for (var m = 0; m < Count; m++)
        {
            var max = ExpectedLog.ExpShifted(elog.Slice(_factorStart[m], FactorCount(m)), weights.Slice(_weightStart[m], _weightStride[m]));
            finite &= float.IsFinite(max);
        }
        return finite;
    }

    /// <summary>
    /// weights = exp(E[log] − max) per member (each member its own max), zero padding, from the row's shape and rate
    /// ([K]) by way of exp(E[log]) in float64 (<see cref="ExpectedLog.ExpOf"/>): no logarithm is taken. A member whose
    /// exponentials all underflow (every shape under about 0.002) is taken by way of E[log] (<see cref="ExpShifted"/>).
    /// </summary>
    /// <param name="exps">[K] float64 scratch.</param>
    /// <param name="elog">[K] float32 scratch, for a member that takes the way of E[log].</param>
    /// <returns>False when a max is NaN or infinite.</returns>
    public bool WeightsFromParameters(ReadOnlySpan<float> shape, ReadOnlySpan<float> rate, Span<float> weights, Span<double> exps, Span<float> elog)
    {
        ExpectedLog.ExpOf(shape, rate, exps);
        var finite = true;
        for (var m = 0; m < Count; m++)
        {
            var memberWeights = weights.Slice(_weightStart[m], _weightStride[m]);
            var max = ExpectedLog.ScaleToMax(exps.Slice(_factorStart[m], FactorCount(m)), memberWeights);
            if (!double.IsFinite(max))
            {
                finite = false;
            }
            else if (max < ExpectedLog.MinScalableMax)
            {
                var memberElog = elog.Slice(_factorStart[m], FactorCount(m));
                ExpectedLog.Compute(shape.Slice(_factorStart[m], FactorCount(m)), rate.Slice(_factorStart[m], FactorCount(m)), memberElog);
                finite &= float.IsFinite(ExpectedLog.ExpShifted(memberElog, memberWeights));
            }
        }
        return finite;
    }

    /// <summary>The smallest weight of the row's factors (padding left out).</summary>
    public float MinWeight(ReadOnlySpan<float> weights)
    {
        var min = float.PositiveInfinity;
        for (var m = 0; m < Count; m++)
            min = MathF.Min(min, MinOf(weights.Slice(_weightStart[m], FactorCount(m))));
        return min;
    }

    /// <summary>
    /// The smallest of a member's weights: in whole registers, the last one overlapping the one before (25 factors are
    /// [0, 16) and [9, 25)), where the library's Min takes its remainder a lane at a time. The weights of a finite row are
    /// never NaN; a row with a NaN fails its update whatever this returns.
    /// </summary>
    private static float MinOf(ReadOnlySpan<float> weights)
    {
        var lanes = Vector512<float>.Count;
        if (!Vector512.IsHardwareAccelerated || weights.Length < lanes)
            return System.Numerics.Tensors.TensorPrimitives.Min(weights);
        var last = weights.Length - lanes;
        var low = Vector512.Create(weights.Slice(last, lanes));
        for (var j = 0; j < last; j += lanes)
            low = Vector512.MinNative(low, Vector512.Create(weights.Slice(j, lanes)));
        return Lanes512.Min(low);
    }

    /// <summary>The row's weights without padding, [K] (what a shard ships).</summary>
    public void Compact(ReadOnlySpan<float> weights, Span<float> factors)
    {
        for (var m = 0; m < Count; m++) weights.Slice(_weightStart[m], FactorCount(m)).CopyTo(factors.Slice(_factorStart[m]));
    }

    /// <summary>The inverse of <see cref="Compact"/>: the padding of <paramref name="weights"/> is left as it is (zero).</summary>
    public void Expand(ReadOnlySpan<float> factors, Span<float> weights)
    {
        for (var m = 0; m < Count; m++) factors.Slice(_factorStart[m], FactorCount(m)).CopyTo(weights.Slice(_weightStart[m]));
    }

    /// <summary>log of the row's weights into a [K] row: E[log] up to a constant per member.</summary>
    public void Log(ReadOnlySpan<float> weights, Span<float> logWeights)
    {
        for (var m = 0; m < Count; m++)
            System.Numerics.Tensors.TensorPrimitives.Log(weights.Slice(_weightStart[m], FactorCount(m)), logWeights.Slice(_factorStart[m], FactorCount(m)));
    }
}
