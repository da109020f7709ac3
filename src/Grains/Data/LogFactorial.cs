namespace Hpf.Cluster.Grains.Data;

/// <summary>log y! for counts, which need not be whole numbers (log Γ(y + 1)).</summary>
public static class LogFactorial
{
    private static readonly double[] Small = BuildTable(256);

    public static double Of(double y)
    {
        if (y >= 0 && y < Small.Length && y == Math.Floor(y)) return Small[(int)y];
        return Kernels.SpecialFunctions.LogGamma(y + 1.0);
    }

    private static double[] BuildTable(int n)
    {
        var table = new double[n];
        for (var i = 2; i < n; i++) table[i] = table[i - 1] + Math.Log(i);
        return table;
    }
}
