using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A saved model's items ranked for a θ that is not a trained user's (a folded-in user, or the prior's all-ones for a
/// cold start): score E[θ]·E[β_i] as an item shard computes it, best first, equal scores in ordinal id order.
/// </summary>
internal sealed class ThetaRanking(HpfModel model)
{
    private readonly float[] _beta = model.ItemFactorMatrix();

    /// <param name="excluded">Model indices never to return (the items the user has counts for).</param>
    /// <param name="pool">Rank only these model indices; null: every item.</param>
    public Recommendation[] Top(ReadOnlySpan<float> theta, int count, IReadOnlySet<int>? excluded, IReadOnlyCollection<int>? pool)
    {
        var k = model.Factors;
        // The worst kept item at the head: a lower score, or an equal score and a later id.
        var kept = new PriorityQueue<int, (float Score, int Item)>(Comparer<(float Score, int Item)>.Create((a, b) =>
            a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Item.CompareTo(a.Item)));
        foreach (var i in pool ?? (IEnumerable<int>)Enumerable.Range(0, model.Items))
        {
            if (excluded?.Contains(i) == true) continue;
            var score = TensorPrimitives.Dot(theta, _beta.AsSpan(i * k, k));
            if (kept.Count < count) kept.Enqueue(i, (score, i));
            else if (kept.TryPeek(out _, out var worst) && (score > worst.Score || (score == worst.Score && i < worst.Item))) kept.EnqueueDequeue(i, (score, i));
        }
        var ranked = new Recommendation[kept.Count];
        for (var r = ranked.Length - 1; r >= 0; r--)
        {
            kept.TryDequeue(out var item, out var key);
            ranked[r] = new Recommendation(model.ItemIds[item], key.Score);
        }
        return ranked;
    }
}
