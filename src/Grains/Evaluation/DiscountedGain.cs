namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// NDCG's discounts, one definition for every evaluator: a relevant item at rank r (0-based) gains 1/log2(r + 2), and
/// the ideal gain of n relevant items is theirs at ranks 0 … n − 1, added in that order.
/// </summary>
public static class DiscountedGain
{
    public static double At(int rank) => 1.0 / Math.Log2(rank + 2);

    /// <summary>ideal[n] for n = 0 … k: the gain of n relevant items at the top.</summary>
    public static double[] IdealTable(int k)
    {
        var ideal = new double[k + 1];
        for (var n = 1; n <= k; n++) ideal[n] = ideal[n - 1] + At(n - 1);
        return ideal;
    }
}
