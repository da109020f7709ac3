using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>How well a model predicts held-out counts within their groups (see <see cref="GroupEvaluator"/>).</summary>
/// <param name="ConditionalLogLikelihood">Mean per held-out nonzero of the multinomial log-likelihood of each (user, group) pair's held-out counts given their total.</param>
/// <param name="PrecisionAtK">Mean over evaluated (user, group) pairs of hits / K, ranking the group's items the user has not seen.</param>
/// <param name="RecallAtK">Mean over evaluated pairs of hits / min(K, the pair's held-out items).</param>
/// <param name="NdcgAtK">Mean over evaluated pairs of DCG / IDCG, binary relevance.</param>
/// <param name="PairsEvaluated">(user, group) pairs with a held-out item.</param>
/// <param name="TestNonzeros">Held-out nonzeros whose user and item the training set knows.</param>
public sealed record GroupEvaluationReport(double ConditionalLogLikelihood, double PrecisionAtK, double RecallAtK, double NdcgAtK, int K, int PairsEvaluated, int TestNonzeros);

/// <summary>
/// Scores any model of counts (HPF or the budget model) by what the budget model predicts: which of a group's items a
/// user's plays of that group go to. Scores are E[x_u]·E[β_s]; the metrics follow <see cref="Evaluation.ModelEvaluator"/>
/// with each (user, group) pair in place of a user and the group's unseen items in place of all unseen items.
/// </summary>
public static class GroupEvaluator
{
    /// <param name="groups">The groups of the model's items (the model's own, or read from a file for an HPF model).</param>
    public static GroupEvaluationReport Evaluate(HpfModel model, Dataset train, Dataset test, ItemGroups groups, int k = 20, int threads = 0, CancellationToken ct = default)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"the ranking cut-off k must be ≥ 1, got {k}");
        if (!train.UserIds.AsSpan().SequenceEqual(model.UserIds) || !train.ItemIds.AsSpan().SequenceEqual(model.ItemIds))
            throw new ArgumentException("evaluate a model with the training set it was fitted to");
        test = CountTransforms.Apply(model.Options.Transform, test);
        var heldOut = HeldOutSet.Map(test, train);
        var factors = model.Factors;
        var x = model.UserFactorMatrix();
        var beta = model.ItemFactorMatrix();
        var (sum, count) = BudgetLikelihood.HeldOut(heldOut, groups.ItemGroup, groups.Groups, x, beta, factors);
        var llk = count > 0 ? sum / count : double.NaN;

        var (groupStart, groupItems) = groups.ItemsByGroup();
        var userStart = new int[train.Users + 1];
        foreach (var u in heldOut.Users) userStart[u + 1]++;
        for (var u = 0; u < train.Users; u++) userStart[u + 1] += userStart[u];
        var rows = new int[heldOut.Count];
        var next = (int[])userStart.Clone();
        for (var n = 0; n < heldOut.Count; n++) rows[next[heldOut.Users[n]]++] = n;
        var ideal = DiscountedGain.IdealTable(k);

        // Per user, then added in user order: the same report for any thread count.
        var precision = new double[train.Users];
        var recall = new double[train.Users];
        var ndcg = new double[train.Users];
        var pairs = new int[train.Users];
        Parallel.For(0, train.Users, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = ct },
            () => (Relevant: new HashSet<int>(), Candidates: new List<(double Score, int Item)>()),
            (u, _, scratch) =>
            {
                if (userStart[u + 1] == userStart[u]) return scratch;
                var seen = train.ByUser.OthersOf(u);
                var theta = x.AsSpan(u * factors, factors);
                var byGroup = new SortedDictionary<int, List<int>>();
                for (var j = userStart[u]; j < userStart[u + 1]; j++)
                {
                    var item = heldOut.Items[rows[j]];
                    var g = groups.ItemGroup[item];
                    if (!byGroup.TryGetValue(g, out var list)) byGroup.Add(g, list = []);
                    list.Add(item);
                }
                foreach (var (g, relevantItems) in byGroup)
                {
                    scratch.Relevant.Clear();
                    scratch.Relevant.UnionWith(relevantItems);
                    scratch.Candidates.Clear();
                    for (var j = groupStart[g]; j < groupStart[g + 1]; j++)
                    {
                        var item = groupItems[j];
                        if (seen.BinarySearch(item) >= 0) continue;
                        double score = 0;
                        for (var f = 0; f < factors; f++) score += (double)theta[f] * beta[item * factors + f];
                        scratch.Candidates.Add((score, item));
                    }
                    // Highest score first, ties to the lower item index, as the all-item ranking breaks them.
                    scratch.Candidates.Sort((p, q) => q.Score.CompareTo(p.Score) is var c && c != 0 ? c : p.Item.CompareTo(q.Item));
                    var hits = 0;
                    double dcg = 0;
                    for (var r = 0; r < Math.Min(k, scratch.Candidates.Count); r++)
                    {
                        if (!scratch.Relevant.Contains(scratch.Candidates[r].Item)) continue;
                        hits++;
                        dcg += DiscountedGain.At(r);
                    }
                    var cap = Math.Min(k, scratch.Relevant.Count);
                    precision[u] += (double)hits / k;
                    recall[u] += (double)hits / cap;
                    ndcg[u] += dcg / ideal[cap];
                    pairs[u]++;
                }
                return scratch;
            },
            _ => { });
        double precisionSum = 0, recallSum = 0, ndcgSum = 0;
        var total = 0;
        for (var u = 0; u < train.Users; u++)
        {
            precisionSum += precision[u];
            recallSum += recall[u];
            ndcgSum += ndcg[u];
            total += pairs[u];
        }
        return total == 0
            ? new GroupEvaluationReport(llk, double.NaN, double.NaN, double.NaN, k, 0, heldOut.Count)
            : new GroupEvaluationReport(llk, precisionSum / total, recallSum / total, ndcgSum / total, k, total, heldOut.Count);
    }
}
