using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// Serving a completed Gaussian job from its shards, in HPF serving's shape: the user shard gives the user's posterior
/// and the items they rated, each item shard ranks its own items by predicted mean, the caller merges. Only a
/// completed job is served (the caller checks its status), so the rows read here are the final ones, which nothing
/// writes any more.
/// </summary>
public abstract partial class ShardGrain
{
    public Task<GaussianServedUser?> GaussianServeUser(string user, CancellationToken cancellationToken)
    {
        if (!IsUserSide) throw new InvalidOperationException("users are served by user shards");
        var shard = RequireGaussian(null, "serving a user");
        var rows = GaussianRowsOf(shard);
        var r = Array.BinarySearch(shard.Ids, user, StringComparer.Ordinal);
        if (r < 0) return Task.FromResult<GaussianServedUser?>(null);
        var layout = shard.Layout;
        var seen = new List<int>[_others.Length];
        for (var j = 0; j < seen.Length; j++) seen[j] = [];
        foreach (var p in layout.Rows.OthersOf(r)) seen[layout.PartOf(p)].Add(layout.CounterpartLocal[p]);
        var byShard = new int[seen.Length][];
        for (var j = 0; j < seen.Length; j++)
        {
            seen[j].Sort();
            byShard[j] = [.. seen[j]];
        }
        var d = rows.Dimension;
        return Task.FromResult<GaussianServedUser?>(new GaussianServedUser(user,
            rows.Mean.AsSpan(r * d, d).ToArray(), rows.Covariance.AsSpan(r * d * d, d * d).ToArray(), byShard));
    }

    public Task<GaussianShardRows> GaussianServeRows(string[] ids, CancellationToken cancellationToken)
    {
        var shard = RequireGaussian(null, "serving rows");
        var rows = GaussianRowsOf(shard);
        var d = rows.Dimension;
        var found = new List<int>(ids.Length);
        foreach (var id in ids)
        {
            var r = Array.BinarySearch(shard.Ids, id, StringComparer.Ordinal);
            if (r >= 0) found.Add(r);
        }
        var mean = new double[found.Count * d];
        var covariance = new double[found.Count * d * d];
        var names = new string[found.Count];
        for (var n = 0; n < found.Count; n++)
        {
            var r = found[n];
            names[n] = shard.Ids[r];
            rows.Mean.AsSpan(r * d, d).CopyTo(mean.AsSpan(n * d));
            rows.Covariance.AsSpan(r * d * d, d * d).CopyTo(covariance.AsSpan(n * d * d));
        }
        return Task.FromResult(new GaussianShardRows(shard.Rows, names, mean, covariance, _gaussianCheckpointed) { Local = [.. found] });
    }

    public Task<GaussianRankedItems> GaussianTopItems(GaussianTopItemsRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireGaussian(null, "ranking items");
        var rows = GaussianRowsOf(shard);
        var d = rows.Dimension;
        if (request.UserMean.Length != d) throw new ArgumentException($"the user's mean has {request.UserMean.Length} entries; the model's rows have {d}");
        if (request.Count < 1) throw new ArgumentOutOfRangeException(nameof(request), request.Count, "at least one item must be asked for");
        var ids = shard.Ids;
        var candidate = new bool[ids.Length];
        if (request.Pool is { } pool)
        {
            foreach (var id in pool)
            {
                var i = Array.BinarySearch(ids, id, StringComparer.Ordinal);
                if (i >= 0) candidate[i] = true;
            }
        }
        else
        {
            Array.Fill(candidate, true);
        }
        foreach (var i in request.Exclude)
        {
            if (i >= 0 && i < ids.Length) candidate[i] = false;
        }

        // A heap of the best so far, its worst on top: lower score, or an equal score at a higher index (ties go to
        // the lower index, ordinal id order, as the local ranking).
        var best = new PriorityQueue<int, (double Score, int Index)>(Comparer<(double Score, int Index)>.Create(
            (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Index.CompareTo(a.Index)));
        var x = request.UserMean;
        var means = rows.Mean;
        for (var i = 0; i < ids.Length; i++)
        {
            if (!candidate[i]) continue;
            // The local ranking's sum in its order, so that the scores are equal to the last bit.
            var y = means.AsSpan(i * d, d);
            var s = request.Mu + x[d - 1] + y[d - 1];
            for (var f = 0; f < d - 1; f++) s += x[f] * y[f];
            if (best.Count < request.Count) best.Enqueue(i, (s, i));
            else best.EnqueueDequeue(i, (s, i));
        }
        var n = best.Count;
        var names = new string[n];
        var scores = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            best.TryDequeue(out var i, out var key);
            names[r] = ids[i];
            scores[r] = key.Score;
        }
        return Task.FromResult(new GaussianRankedItems(names, scores));
    }
}
