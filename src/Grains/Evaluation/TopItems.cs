namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// The k best (score, item) pairs seen so far, as a min-heap whose root is the worst kept. Items must be offered in
/// ascending index order: then a later item with a score equal to the root's is the worse of the two (ties go to the
/// lower index), so <see cref="Threshold"/> can be a strict score bound and most items cost one comparison.
/// </summary>
internal sealed class TopItems
{
    private readonly float[] _score;
    private readonly int[] _item;

    public TopItems(int k)
    {
        _score = new float[k];
        _item = new int[k];
    }

    public int Count { get; private set; }

    /// <summary>An item must score strictly above this to enter; −∞ until the heap is full, so excluded items (−∞) never do.</summary>
    public float Threshold => Count == _score.Length ? _score[0] : float.NegativeInfinity;

    public void Clear() => Count = 0;

    /// <summary>Adds an item that beats <see cref="Threshold"/>.</summary>
    public void Offer(float score, int item)
    {
        if (Count < _score.Length)
        {
            var at = Count++;
            while (at > 0)
            {
                var parent = (at - 1) >> 1;
                if (!Worse(score, item, _score[parent], _item[parent])) break;
                _score[at] = _score[parent];
                _item[at] = _item[parent];
                at = parent;
            }
            _score[at] = score;
            _item[at] = item;
            return;
        }
        SiftDownFromRoot(score, item);
    }

    /// <summary>Empties the heap into <paramref name="ranked"/>, best first; returns how many items there were.</summary>
    public int Drain(Span<int> ranked)
    {
        var n = Count;
        // Repeatedly remove the worst: it goes to the back.
        for (var slot = n - 1; slot >= 0; slot--)
        {
            ranked[slot] = _item[0];
            var lastScore = _score[Count - 1];
            var lastItem = _item[Count - 1];
            Count--;
            if (Count > 0) SiftDownFromRoot(lastScore, lastItem);
        }
        return n;
    }

    private void SiftDownFromRoot(float score, int item)
    {
        var at = 0;
        while (true)
        {
            var child = 2 * at + 1;
            if (child >= Count) break;
            if (child + 1 < Count && Worse(_score[child + 1], _item[child + 1], _score[child], _item[child])) child++;
            if (!Worse(_score[child], _item[child], score, item)) break;
            _score[at] = _score[child];
            _item[at] = _item[child];
            at = child;
        }
        _score[at] = score;
        _item[at] = item;
    }

    /// <summary>Lower score, or the same score and a higher index.</summary>
    private static bool Worse(float score, int item, float otherScore, int otherItem) =>
        score < otherScore || (score == otherScore && item > otherItem);
}
