using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// Fold-in over a saved model, in this process: a user's factors from their counts with the items held fixed
/// (HPF-MATH.md, "Predictions"; hpfrec's predict_factors). It is the cluster's fold-in step for step: the seeded
/// initialisation of a trained user of that id, then the engine's user update (the fused φ/shape loop over the items'
/// weights exp(E[log β] − max), the exact path where those underflow, rate = E[ξ] + Σ_i E[β_i], then the activity)
/// until no E[θ_k] moves by more than <see cref="Tolerance"/> relative. The engine's own fold-in is internal to the
/// grains, so the step is written here from its public kernels; a test holds the two to the same θ.
/// </summary>
internal static class SavedModelFoldIn
{
    public const int MaxUpdates = 1000;
    public const double Tolerance = 1e-6;

    /// <summary>The smallest normal float32: a weight below it has lost its precision, and its item takes the exact path.</summary>
    private const float MinNormalWeight = 1.17549435e-38f;

    /// <param name="user">Seeds the initialisation; null for an anonymous user (seeded as the id "").</param>
    /// <param name="itemColumnSums">Σ_i E[β_ik] over every item of the model (<see cref="ItemColumnSums"/>), computed once per model.</param>
    /// <exception cref="HpfNumericException">An item's E[log β] or the user's parameters are not finite.</exception>
    public static FoldedUser Run(HpfModel model, string? user, IReadOnlyList<ItemCount> counts, double[] itemColumnSums)
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

        var options = model.Options;
        var k = options.Factors;
        var priors = options.Priors;
        var width = SimdWidths.Resolve(SimdWidth.Auto);
        var stride = SimdWidths.Stride(k, width);
        var n = known.Count;

        // The items' weights, computed from E[log β] as an item shard computes them for a fold-in.
        var weights = new float[n * stride];
        var logWeights = new float[n][];
        var ys = new float[n];
        for (var j = 0; j < n; j++)
        {
            var item = model.IndexOfItem(known[j].Key);
            var elog = new float[k];
            ExpectedLog.Compute(model.ItemShape.AsSpan(item * k, k), model.ItemRate.AsSpan(item * k, k), elog);
            var row = weights.AsSpan(j * stride, stride);
            if (!float.IsFinite(ExpectedLog.ExpShifted(elog, row))) throw new HpfNumericException(0, "item", known[j].Key);
            // The exact path reads E[log] itself for a row with a weight below the normal range, else the weights' logarithms.
            if (TensorPrimitives.Min(row[..k]) < MinNormalWeight)
            {
                logWeights[j] = elog;
            }
            else
            {
                logWeights[j] = new float[k];
                TensorPrimitives.Log(row[..k], logWeights[j]);
            }
            ys[j] = (float)known[j].Value;
        }

        var shapePrior = priors.A;
        var activityShape = priors.APrime + k * priors.A;
        var activityPriorRate = priors.APrime / priors.BPrime;
        var shape = new float[k];
        var rate = new float[k];
        var random = new UserRowRandom(options.Seed, "user", user ?? "");
        for (var f = 0; f < k; f++) shape[f] = (float)(priors.APrime + 0.01 * random.NextFloat());
        for (var f = 0; f < k; f++) rate[f] = (float)(priors.APrime + 0.01 * random.NextFloat());
        var activityRate = (float)priors.BPrime;
        var expected = new float[k];
        var w = new float[stride];
        var elogUser = new float[k];
        Refresh(updateActivity: false);

        var others = new int[n];
        for (var j = 0; j < n; j++) others[j] = j;
        var shapeSum = new double[stride];
        var partial = new float[stride];
        var previous = new float[k];
        var updates = 0;
        while (updates < MaxUpdates)
        {
            expected.CopyTo(previous, 0);
            updates++;
            var skipped = FusedShapePass.Accumulate(others, ys, w, weights, stride, shapeSum, partial, width);
            for (var f = 0; f < k; f++) shapeSum[f] *= w[f];
            if (skipped > 0)
            {
                ExpectedLog.Compute(shape, rate, elogUser);
                for (var j = 0; j < n; j++)
                {
                    if (FusedShapePass.NeedsExactPath(w, weights.AsSpan(j * stride, stride), stride, width))
                        FusedShapePass.ExactShapeContribution(elogUser, logWeights[j], ys[j], shapeSum);
                }
            }
            var expectedActivity = activityShape / activityRate;
            for (var f = 0; f < k; f++)
            {
                shape[f] = (float)(shapePrior + shapeSum[f]);
                rate[f] = (float)(expectedActivity + itemColumnSums[f]);
            }
            if (!Refresh(updateActivity: true)) throw new HpfNumericException(updates, "user", user ?? "(the folded-in user)");
            var change = 0.0;
            for (var f = 0; f < k; f++) change = Math.Max(change, Math.Abs(expected[f] - previous[f]) / Math.Max(Math.Abs(previous[f]), 1e-30));
            if (change < Tolerance) break;
        }

        var items = known.Select(p => model.IndexOfItem(p.Key)).ToArray();
        return new FoldedUser(shape, rate, activityRate, updates, items, ys, unknown);

        // E[θ], the activity rate and the user's weights from its shape and rate, as the engine's row refresh does.
        bool Refresh(bool updateActivity)
        {
            TensorPrimitives.Divide(shape, rate, expected);
            if (updateActivity)
            {
                double sum = 0;
                for (var f = 0; f < k; f++) sum += expected[f];
                activityRate = (float)(activityPriorRate + sum);
            }
            ExpectedLog.Compute(shape, rate, elogUser);
            var max = ExpectedLog.ExpShifted(elogUser, w);
            return float.IsFinite(max) && float.IsFinite(activityRate) && activityRate > 0;
        }
    }

    /// <summary>Σ_i E[β_ik] over every item of the model: the rate's item term in every user update.</summary>
    public static double[] ItemColumnSums(HpfModel model)
    {
        var k = model.Factors;
        var beta = model.ExpectedBetaMatrix();
        var sums = new double[k];
        for (var j = 0; j < beta.Length; j++) sums[j % k] += beta[j];
        return sums;
    }
}
