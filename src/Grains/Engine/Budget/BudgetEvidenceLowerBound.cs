using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// The budget model's bound (docs/maths.md, "The budget model") with φ and ξ at their optima, in float64: HPF's
/// nonzero, prior and entropy terms, and for each played (user, group) pair log r_ua! − r_ua·log(E[x_u]·B_a) in place
/// of HPF's −Σ_k T_k·B_k. The tests use it to check that every half-step is an ascent step.
/// </summary>
public static class BudgetEvidenceLowerBound
{
    public static double Compute(HpfModel model, Dataset data, ItemGroups groups)
    {
        var p = model.Options.Priors;
        var k = model.Factors;
        var members = new FactorMembers(k, 1, SimdWidth.Scalar);
        var pairs = GroupTables.UserGroupPairs(data.ByUser, groups.ItemGroup);
        var groupSums = new double[groups.Groups * k];
        GroupTables.GroupSums(model.ItemFactorMatrix(), groups.ItemGroup, k, groupSums);
        return EvidenceLowerBound.NonzeroTerm(data.ByUser, model.UserShape, model.UserRate, model.ItemShape, model.ItemRate, members)
            - data.SumLogFactorial
            + PairTerm(pairs, model.UserFactorMatrix(), groupSums, k)
            + EvidenceLowerBound.RowTerms(model.UserShape, model.UserRate, model.UserActivityRate, members, p.A, p.APrime, p.BPrime)
            + EvidenceLowerBound.RowTerms(model.ItemShape, model.ItemRate, model.ItemPopularityRate, members, p.C, p.CPrime, p.DPrime);
    }

    /// <summary>Σ over the (user, group) pairs of log r_ua! − r_ua·log(E[x_u]·B_a): all users', or a user shard's.</summary>
    public static double PairTerm(SparseRows pairs, float[] userExpected, double[] groupSums, int factors)
    {
        double total = 0;
        for (var u = 0; u < pairs.Rows; u++)
        {
            var x = userExpected.AsSpan(u * factors, factors);
            var groups = pairs.OthersOf(u);
            var totals = pairs.CountsOf(u);
            for (var n = 0; n < groups.Length; n++)
                total += LogFactorial.Of(totals[n]) - totals[n] * Math.Log(GroupTables.Dot(x, groupSums.AsSpan(groups[n] * factors, factors)));
        }
        return total;
    }
}
