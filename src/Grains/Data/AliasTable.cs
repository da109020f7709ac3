namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Walker's alias method (Vose's construction): draws index j with probability w_j / Σw in O(1), which is what lets
/// the generator place millions of counts without a loop over all items per draw. Float probabilities halve the
/// memory of a table per factor; their 24 bits are far finer than any count test can see.
/// </summary>
internal sealed class AliasTable
{
    private readonly float[] _keep;
    private readonly int[] _alias;

    /// <param name="weights">Non-negative, finite, not all zero.</param>
    public AliasTable(ReadOnlySpan<double> weights)
    {
        var n = weights.Length;
        if (n == 0) throw new ArgumentException("an alias table needs at least one weight", nameof(weights));
        double total = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException("weights must be finite and ≥ 0", nameof(weights));
            total += w;
        }
        if (total <= 0) throw new ArgumentException("weights must not all be zero", nameof(weights));

        _keep = new float[n];
        _alias = new int[n];
        var scaled = new double[n];
        var small = new int[n];
        var large = new int[n];
        int smallCount = 0, largeCount = 0;
        for (var j = 0; j < n; j++)
        {
            scaled[j] = weights[j] * n / total;
            if (scaled[j] < 1) small[smallCount++] = j;
            else large[largeCount++] = j;
        }
        while (smallCount > 0 && largeCount > 0)
        {
            var lo = small[--smallCount];
            var hi = large[--largeCount];
            _keep[lo] = (float)scaled[lo];
            _alias[lo] = hi;
            scaled[hi] -= 1.0 - scaled[lo];
            if (scaled[hi] < 1) small[smallCount++] = hi;
            else large[largeCount++] = hi;
        }
        // What is left is 1 up to rounding: those columns keep themselves.
        while (largeCount > 0) Fill(large[--largeCount]);
        while (smallCount > 0) Fill(small[--smallCount]);
    }

    public int Count => _keep.Length;

    public int Sample(ref Xoshiro256StarStar rng)
    {
        var column = rng.NextInt(_keep.Length);
        return rng.NextDouble() < _keep[column] ? column : _alias[column];
    }

    private void Fill(int column)
    {
        _keep[column] = 1f;
        _alias[column] = column;
    }
}
