using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Shards;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// A user's factors from their counts with the items held fixed (HPF-MATH.md, "Predictions"; hpfrec's
/// predict_factors): the user-local update (φ, shape, rate, activity) of the engine's own row code, iterated from
/// the seeded initialisation a trained user of that id would have had until E[θ] settles. A budget model's user is
/// folded in by its own update, with the rates from the user's groups.
/// </summary>
public static class UserFoldIn
{
    public const int MaxUpdates = 1000;

    /// <summary>Largest relative change of any E[θ_k] between two updates below which the user has settled.</summary>
    public const double Tolerance = 1e-6;

    /// <param name="elog">E[log β] of the user's items, [items × K], in the order of <paramref name="counts"/>.</param>
    /// <param name="itemColumnSums">Σ_i E[β_ik] over every item of the model.</param>
    /// <param name="statistics">When given ([items × K]), receives y·φ of each of the user's items at the settled factors:
    /// what the user contributes to those items' shapes (an SVI global step's sufficient statistics).</param>
    /// <param name="groups">For a budget model, the items' groups and B: the rate's data term is then the user's groups'
    /// (<see cref="UserGroupRates"/>, ξ from the user's E[x] before each update), not Σ_i E[β_i].</param>
    /// <param name="maxUpdates">At most this many updates, though E[θ] has not settled.</param>
    /// <returns>The user's shape and rate [K] and activity rates [members].</returns>
    public static (float[] Shape, float[] Rate, float[] ActivityRate, int Updates) Run(string user, float[] elog, float[] counts, double[] itemColumnSums,
        TrainingOptions options, double[]? statistics = null, FoldInGroups? groups = null, int maxUpdates = MaxUpdates)
    {
        if (groups is not null && (groups.ItemGroups.Length != counts.Length || statistics is not null))
            throw new ArgumentException("a budget fold-in needs one group per count, and gives no SVI statistics", nameof(groups));
        if (options.Transform != CountTransform.None)
        {
            // The user's counts on the scale the items were fitted to.
            counts = (float[])counts.Clone();
            CountTransforms.ApplyInPlace(options.Transform, counts);
        }
        var k = options.Factors;
        var n = counts.Length;
        var p = options.Priors;
        var others = new int[n];
        for (var j = 0; j < n; j++) others[j] = j;
        var rows = new SparseRows([0, n], others, counts);
        var side = new FactorSide("user", [user], rows, k, options.Members, SimdWidths.Resolve(SimdWidth.Auto), p.A, p.APrime, p.APrime / p.BPrime);
        var items = new GatheredRows([0, n], side.Members);
        if (n > 0 && !items.FillFromExpectedLog(0, elog)) throw new HpfNumericException(0, "item", "(an item of the fold-in)");
        itemColumnSums.AsSpan().CopyTo(items.ColumnSum);
        side.Initialize(options.Seed, p.APrime, p.BPrime);
        var groupRates = groups is null ? null : new UserGroupRates(GroupTables.UserGroupPairs(rows, groups.ItemGroups), k) { GroupSums = groups.GroupSums };

        var scratch = new RowScratch(k, side.Stride);
        var previous = new float[k];
        var updates = 0;
        while (updates < maxUpdates)
        {
            side.Expected.AsSpan(0, k).CopyTo(previous);
            updates++;
            var updated = groupRates is null ? side.UpdateRow(0, items, scratch) : side.UpdateRow(0, items, scratch, groupRates.Of(0, side, scratch));
            if (!updated) throw new HpfNumericException(updates, "user", user);
            var change = 0.0;
            for (var f = 0; f < k; f++)
            {
                var scale = Math.Max(Math.Abs(previous[f]), 1e-30);
                change = Math.Max(change, Math.Abs(side.Expected[f] - previous[f]) / scale);
            }
            if (change < Tolerance) break;
        }
        if (statistics is not null) Statistics(side, items, counts, statistics, scratch);
        return ((float[])side.Shape.Clone(), (float[])side.Rate.Clone(), (float[])side.ActivityRate.Clone(), updates);
    }

    /// <summary>
    /// y·φ_ik = y·w_k·e_ik / ⟨w, e_i⟩ per item, the dot product over k's member, with the exact path's log-sum-exp
    /// where the products underflow.
    /// </summary>
    private static void Statistics(FactorSide side, GatheredRows items, float[] counts, double[] statistics, RowScratch scratch)
    {
        var k = side.K;
        var stride = side.Stride;
        var members = side.Members;
        var w = side.ExpElog.Slice(0, stride);
        side.ExpectedLogOf(0, scratch.Elog);
        for (var n = 0; n < counts.Length; n++)
        {
            var target = statistics.AsSpan(n * k, k);
            target.Clear();
            var e = items.ExpElog.Slice(n * stride, stride);
            var haveLogs = false;
            for (var m = 0; m < members.Count; m++)
            {
                var wm = members.WeightsOf(w, m);
                var em = members.WeightsOf(e, m);
                var tm = members.FactorsOf(target, m);
                var s = System.Numerics.Tensors.TensorPrimitives.Dot(wm, em);
                if (s >= FusedShapePass.MinNormalizer)
                {
                    for (var f = 0; f < tm.Length; f++) tm[f] = (double)counts[n] * wm[f] * em[f] / s;
                    continue;
                }
                if (!haveLogs)
                {
                    items.LogWeightsOf(n, scratch.ElogOther);
                    haveLogs = true;
                }
                FusedShapePass.ExactShapeContribution(members.FactorsOf(scratch.Elog.AsSpan(), m), members.FactorsOf(scratch.ElogOther.AsSpan(), m), counts[n], tm);
            }
        }
    }
}
