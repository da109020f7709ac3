namespace Hpf.Cluster.Grains.Kernels;

/// <summary>‖a − b‖₂ accumulated in float64: the diffnorm stop rule on E[θ].</summary>
public static class DiffNorm
{
    public static double Of(ReadOnlySpan<float> current, ReadOnlySpan<float> previous)
    {
        if (current.Length != previous.Length) throw new ArgumentException("the two matrices differ in size");
        double sum = 0;
        for (var j = 0; j < current.Length; j++)
        {
            double d = current[j] - previous[j];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }
}
