using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// Fold-in over a saved model, in this process: a user's factors from their counts with the items held fixed
/// (HPF-MATH.md, "Predictions"; hpfrec's predict_factors), by the very code the cluster folds users in with
/// (<see cref="UserFoldIn"/>), fed with the saved items' E[log β] instead of the item shards' (and a budget model's
/// groups and B from the saved items).
/// </summary>
internal static class SavedModelFoldIn
{
    /// <param name="user">Seeds the initialisation; null for an anonymous user (seeded as the id "").</param>
    /// <param name="itemColumnSums">Σ_i E[β_ik] over every item of the model (<see cref="ItemColumnSums"/>), computed once per model.</param>
    /// <param name="groupSums">For a budget model, B (<see cref="GroupSums"/>): the user is folded in by the budget model's update.</param>
    /// <exception cref="HpfNumericException">An item's E[log β] or the user's parameters are not finite.</exception>
    public static FoldedUser Run(HpfModel model, string? user, IReadOnlyList<ItemCount> counts, double[] itemColumnSums, double[]? groupSums = null)
    {
        // Duplicate items are summed and zero counts dropped, as in training; ordinal order, as the cluster folds them.
        var merged = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var c in counts)
        {
            if (!double.IsFinite(c.Count) || c.Count < 0) throw new ArgumentException($"the count of item '{c.Item}' is {c.Count}; counts must be finite and ≥ 0");
            if (c.Count > 0) merged[c.Item] = merged.GetValueOrDefault(c.Item) + c.Count;
        }
        var known = merged.Where(p => model.IndexOfItem(p.Key) >= 0).ToList();
        var unknown = merged.Keys.Where(id => model.IndexOfItem(id) < 0).ToArray();

        var k = model.Factors;
        var elog = new float[known.Count * k];
        var ys = new float[known.Count];
        var items = new int[known.Count];
        for (var j = 0; j < known.Count; j++)
        {
            items[j] = model.IndexOfItem(known[j].Key);
            ExpectedLog.Compute(model.ItemShape.AsSpan(items[j] * k, k), model.ItemRate.AsSpan(items[j] * k, k), elog.AsSpan(j * k, k));
            ys[j] = (float)known[j].Value;
        }
        var groups = groupSums is null ? null : new FoldInGroups([.. items.Select(i => model.Groups!.ItemGroup[i])], groupSums);
        var (shape, rate, activity, updates) = UserFoldIn.Run(user ?? "", elog, ys, itemColumnSums, model.Options, groups: groups);
        return new FoldedUser(shape, rate, activity, updates, items, ys, unknown);
    }

    /// <summary>B of a budget model, Σ_{s∈a} E[β_s] per group [groups × K]; null for other models.</summary>
    public static double[]? GroupSums(HpfModel model)
    {
        if (model.Options.Model != ModelKind.Budget || model.Groups is not { } groups) return null;
        var sums = new double[groups.Groups * model.Factors];
        GroupTables.GroupSums(model.ItemFactorMatrix(), groups.ItemGroup, model.Factors, sums);
        return sums;
    }

    /// <summary>Σ_i E[β_ik] over every item of the model: the rate's item term in every user update.</summary>
    public static double[] ItemColumnSums(HpfModel model)
    {
        var k = model.Factors;
        var beta = model.ItemFactorMatrix();
        var sums = new double[k];
        for (var j = 0; j < beta.Length; j++) sums[j % k] += beta[j];
        return sums;
    }
}
