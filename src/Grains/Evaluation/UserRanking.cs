using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// A user's top-N items by E[θ_u]·E[β_i], scored and tie-broken exactly as <see cref="ModelEvaluator"/> ranks
/// (equal scores go to the lower item index), so a recommendation is what the evaluation measured.
/// </summary>
public sealed class UserRanking
{
    private readonly HpfModel _model;
    private readonly float[] _betaByFactor;

    /// <summary>Rearranges E[β] once; rank as many users as needed with one instance.</summary>
    public UserRanking(HpfModel model)
    {
        _model = model;
        _betaByFactor = ItemScores.ByFactor(model.ItemFactorMatrix(), model.Items, model.Factors);
    }

    /// <param name="user">The user's index in the model.</param>
    /// <param name="count">How many items at most.</param>
    /// <param name="excluded">Item indices never to return (the user's training items, unless asked), ascending or not.</param>
    /// <returns>Best first.</returns>
    public IReadOnlyList<RankedItem> Top(int user, int count, ReadOnlySpan<int> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var items = _model.Items;
        var theta = new float[_model.Factors];
        _model.UserFactors(user, theta);
        var scores = new float[items];
        ItemScores.Compute(_betaByFactor, items, theta, 0, scores);
        foreach (var i in excluded) scores[i] = float.NegativeInfinity;

        var top = new TopItems(Math.Min(count, items));
        var threshold = top.Threshold;
        for (var i = 0; i < items; i++)
        {
            if (!(scores[i] > threshold)) continue;
            top.Offer(scores[i], i);
            threshold = top.Threshold;
        }
        var ranked = new int[top.Count];
        var n = top.Drain(ranked);
        var result = new RankedItem[n];
        for (var r = 0; r < n; r++) result[r] = new RankedItem(ranked[r], scores[ranked[r]]);
        return result;
    }
}
