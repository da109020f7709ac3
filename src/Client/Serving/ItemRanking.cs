using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Serving;

/// <summary>The top-N items of a user by the Poisson mean E[θ_u]·E[β_i], in one pass over the items with a heap of N.</summary>
internal static class ItemRanking
{
    public readonly record struct ScoredItem(int Item, double Score);

    /// <param name="excluded">Item indices to leave out (the user's training items), or empty.</param>
    /// <returns>Best first; equal scores in item order, so the list does not depend on anything but the model.</returns>
    public static IReadOnlyList<ScoredItem> Top(HpfModel model, int user, int count, ReadOnlySpan<int> excluded)
    {
        var skip = new bool[model.Items];
        foreach (var i in excluded) skip[i] = true;
        // The heap's minimum is the worst kept item: lowest score, then highest index.
        var worstFirst = Comparer<ScoredItem>.Create((x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : y.Item.CompareTo(x.Item));
        var heap = new PriorityQueue<ScoredItem, ScoredItem>(count + 1, worstFirst);
        for (var i = 0; i < model.Items; i++)
        {
            if (skip[i]) continue;
            var candidate = new ScoredItem(i, model.Predict(user, i));
            if (heap.Count < count) heap.Enqueue(candidate, candidate);
            else if (worstFirst.Compare(candidate, heap.Peek()) > 0) heap.EnqueueDequeue(candidate, candidate);
        }
        var ranked = new ScoredItem[heap.Count];
        for (var n = ranked.Length - 1; n >= 0; n--) ranked[n] = heap.Dequeue();
        return ranked;
    }
}
