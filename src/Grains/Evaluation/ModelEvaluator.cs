using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// Scores a model on a test set: the held-out Poisson log-likelihood per test nonzero, and precision, recall and NDCG
/// at K of a top-K ranking of the items each user has not seen in training (HPF-MATH.md, "Predictions").
///
/// A test item is relevant when its count is positive. Precision divides the hits by K; recall by
/// min(K, the user's test items); NDCG uses DCG = Σ over hits of 1/log2(rank + 1) and the IDCG of min(K, test items)
/// hits at the top. Users with no scored test item are not evaluated. Scores are E[θ_u]·E[β_i]; ties go to the lower
/// item index. All sums are taken in fixed blocks in a fixed order, so the report is the same for any thread count.
/// </summary>
public static class ModelEvaluator
{
    /// <summary>Users ranked together, so that each tile of E[β] is read from cache once per group rather than once per user.</summary>
    private const int UsersPerGroup = 16;
    /// <summary>Bytes of E[β] per tile: small enough to stay in a core's L2 cache while the group's scores are computed.</summary>
    private const int TileBytes = 256 * 1024;
    private const int RowsPerLikelihoodBlock = 4096;

    /// <param name="model">A model fitted to <paramref name="train"/> (it must know every training user and item).</param>
    /// <param name="train">The training set: it defines each user's seen items, which are never ranked.</param>
    /// <param name="test">Held-out nonzeros; rows with a user or item unknown to training are counted and skipped.</param>
    /// <param name="k">The ranking cut-off.</param>
    /// <param name="threads">Worker threads, 0 = all cores; never changes the result.</param>
    public static EvaluationReport Evaluate(HpfModel model, Dataset train, Dataset test, int k = 20, int threads = 0, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"the ranking cut-off k must be ≥ 1, got {k}");
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, $"threads must be ≥ 0 (0 = all cores), got {threads}");
        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        // Scored on the scale the model was fitted to.
        test = CountTransforms.Apply(model.Options.Transform, test);

        var heldOut = HeldOutSet.Map(test, train);
        // Both id lists are in ordinal order, so these maps are increasing: sorted training rows stay sorted.
        var userInModel = MapIds(train.UserIds, model.UserIds, model.IndexOfUser, "user");
        var itemInModel = MapIds(train.ItemIds, model.ItemIds, model.IndexOfItem, "item");
        var factors = model.Factors;
        var theta = model.UserFactorMatrix();
        var beta = model.ItemFactorMatrix();

        var logLikelihood = HeldOutLogLikelihood(heldOut, userInModel, itemInModel, theta, beta, factors, workers, ct);
        var (precision, recall, ndcg, users) = Ranking(model, train, heldOut, userInModel, itemInModel, theta, beta, k, workers, ct);
        return new EvaluationReport(logLikelihood, precision, recall, ndcg, k, users, heldOut.Count, heldOut.SkippedUnknownUser, heldOut.SkippedUnknownItem);
    }

    private static int[] MapIds(string[] trainIds, string[] modelIds, Func<string, int> indexInModel, string kind)
    {
        var map = new int[trainIds.Length];
        if (ReferenceEquals(trainIds, modelIds))
        {
            for (var j = 0; j < map.Length; j++) map[j] = j;
            return map;
        }
        for (var j = 0; j < map.Length; j++)
        {
            map[j] = indexInModel(trainIds[j]);
            if (map[j] < 0)
                throw new ArgumentException($"the model has no {kind} '{trainIds[j]}' of the training set: evaluate a model with the training set it was fitted to");
        }
        return map;
    }

    /// <summary>Mean of y log μ − μ − log y! in float64 over the scored test rows; NaN when there are none.</summary>
    private static double HeldOutLogLikelihood(HeldOutSet heldOut, int[] userInModel, int[] itemInModel, float[] theta, float[] beta, int factors, int workers, CancellationToken ct)
    {
        if (heldOut.Count == 0) return double.NaN;
        var blocks = (heldOut.Count + RowsPerLikelihoodBlock - 1) / RowsPerLikelihoodBlock;
        var partial = new double[blocks];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, block =>
        {
            var end = Math.Min(heldOut.Count, (block + 1) * RowsPerLikelihoodBlock);
            double sum = 0;
            for (var n = block * RowsPerLikelihoodBlock; n < end; n++)
            {
                var u = userInModel[heldOut.Users[n]] * factors;
                var i = itemInModel[heldOut.Items[n]] * factors;
                double mu = 0;
                for (var f = 0; f < factors; f++) mu += (double)theta[u + f] * beta[i + f];
                sum += heldOut.Counts[n] * Math.Log(mu) - mu;
            }
            partial[block] = sum;
        });
        double total = 0;
        foreach (var p in partial) total += p;
        return (total - heldOut.SumLogFactorial) / heldOut.Count;
    }

    private static (double Precision, double Recall, double Ndcg, int Users) Ranking(
        HpfModel model, Dataset train, HeldOutSet heldOut, int[] userInModel, int[] itemInModel,
        float[] theta, float[] beta, int k, int workers, CancellationToken ct)
    {
        var factors = model.Factors;
        var items = model.Items;

        // Each training user's test items, in model indices, ascending (HeldOutSet keeps a user's rows together).
        var testStart = new int[train.Users + 1];
        foreach (var u in heldOut.Users) testStart[u + 1]++;
        for (var u = 0; u < train.Users; u++) testStart[u + 1] += testStart[u];
        var testItems = new int[heldOut.Count];
        var next = (int[])testStart.Clone();
        for (var n = 0; n < heldOut.Count; n++) testItems[next[heldOut.Users[n]]++] = itemInModel[heldOut.Items[n]];
        for (var u = 0; u < train.Users; u++) Array.Sort(testItems, testStart[u], testStart[u + 1] - testStart[u]);

        var evaluated = new List<int>();
        for (var u = 0; u < train.Users; u++)
            if (testStart[u + 1] > testStart[u]) evaluated.Add(u);
        if (evaluated.Count == 0) return (double.NaN, double.NaN, double.NaN, 0);

        // E[β] factor-major [K × I]: a user's scores over a tile are K contiguous multiply-adds.
        var betaByFactor = ItemScores.ByFactor(beta, items, factors);
        var tile = Math.Clamp(TileBytes / (sizeof(float) * factors) / 64 * 64, 64, Math.Max(64, items));

        var idealGain = DiscountedGain.IdealTable(k);

        var groups = (evaluated.Count + UsersPerGroup - 1) / UsersPerGroup;
        var precision = new double[groups];
        var recall = new double[groups];
        var ndcg = new double[groups];
        var seenRows = train.ByUser;
        Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct },
            () => new RankingScratch(UsersPerGroup, tile, factors, k),
            (group, _, scratch) =>
            {
                var first = group * UsersPerGroup;
                var size = Math.Min(UsersPerGroup, evaluated.Count - first);
                for (var g = 0; g < size; g++)
                {
                    var u = evaluated[first + g];
                    theta.AsSpan(userInModel[u] * factors, factors).CopyTo(scratch.Theta.AsSpan(g * factors, factors));
                    scratch.Top[g].Clear();
                    scratch.SeenCursor[g] = 0;
                }

                for (var start = 0; start < items; start += tile)
                {
                    var length = Math.Min(tile, items - start);
                    for (var g = 0; g < size; g++)
                    {
                        var scores = scratch.Scores.AsSpan(g * tile, length);
                        ItemScores.Compute(betaByFactor, items, scratch.Theta.AsSpan(g * factors, factors), start, scores);

                        // Items seen in training are never recommended: −∞ never passes the heap's threshold.
                        var seen = seenRows.OthersOf(evaluated[first + g]);
                        ref var cursor = ref scratch.SeenCursor[g];
                        while (cursor < seen.Length && itemInModel[seen[cursor]] < start + length)
                        {
                            scores[itemInModel[seen[cursor]] - start] = float.NegativeInfinity;
                            cursor++;
                        }

                        var top = scratch.Top[g];
                        var threshold = top.Threshold;
                        for (var j = 0; j < scores.Length; j++)
                        {
                            if (!(scores[j] > threshold)) continue;
                            top.Offer(scores[j], start + j);
                            threshold = top.Threshold;
                        }
                    }
                }

                double groupPrecision = 0, groupRecall = 0, groupNdcg = 0;
                for (var g = 0; g < size; g++)
                {
                    var u = evaluated[first + g];
                    var relevant = testItems.AsSpan(testStart[u], testStart[u + 1] - testStart[u]);
                    var ranked = scratch.Ranked.AsSpan(0, scratch.Top[g].Drain(scratch.Ranked));
                    var hits = 0;
                    double gain = 0;
                    for (var r = 0; r < ranked.Length; r++)
                    {
                        if (relevant.BinarySearch(ranked[r]) < 0) continue;
                        hits++;
                        gain += DiscountedGain.At(r);
                    }
                    var attainable = Math.Min(k, relevant.Length);
                    groupPrecision += (double)hits / k;
                    groupRecall += (double)hits / attainable;
                    groupNdcg += gain / idealGain[attainable];
                }
                precision[group] = groupPrecision;
                recall[group] = groupRecall;
                ndcg[group] = groupNdcg;
                return scratch;
            },
            _ => { });

        double precisionSum = 0, recallSum = 0, ndcgSum = 0;
        for (var group = 0; group < groups; group++)
        {
            precisionSum += precision[group];
            recallSum += recall[group];
            ndcgSum += ndcg[group];
        }
        var count = evaluated.Count;
        return (precisionSum / count, recallSum / count, ndcgSum / count, count);
    }
}
