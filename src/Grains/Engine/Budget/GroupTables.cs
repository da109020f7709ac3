using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// The budget model's per-group tables (docs/maths.md, "The budget model"), [groups × K] in float64, which take the
/// place of HPF's column sums: B_a = Σ_{s∈a} E[β_s], and G_a = Σ_u w_ua·E[x_u] with w_ua = r_ua/ξ_ua, ξ_ua = E[x_u]·B_a.
/// A shard computes its rows' part of a table; the parts are added up in shard order, as column sums are.
/// </summary>
public static class GroupTables
{
    /// <summary>
    /// Each user's played groups with the user's total count for the group, r_ua = Σ_{s∈a} r_us: [users] rows whose
    /// "others" are group indices (ascending) and whose counts are r_ua.
    /// </summary>
    /// <param name="byUser">The users' nonzeros; each nonzero's counterpart indexes <paramref name="counterpartGroup"/>.</param>
    /// <param name="counterpartGroup">The group of each counterpart (a dense item in process, a gathered row in a shard).</param>
    public static SparseRows UserGroupPairs(SparseRows byUser, int[] counterpartGroup)
    {
        var start = new int[byUser.Rows + 1];
        var groups = new List<int>(byUser.Nonzeros);
        var totals = new List<float>(byUser.Nonzeros);
        var keys = new int[16];
        var counts = new float[16];
        for (var u = 0; u < byUser.Rows; u++)
        {
            var others = byUser.OthersOf(u);
            var row = byUser.CountsOf(u);
            if (keys.Length < others.Length)
            {
                keys = new int[others.Length];
                counts = new float[others.Length];
            }
            for (var n = 0; n < others.Length; n++)
            {
                keys[n] = counterpartGroup[others[n]];
                counts[n] = row[n];
            }
            Array.Sort(keys, counts, 0, others.Length);
            for (var n = 0; n < others.Length; n++)
            {
                if (n > 0 && keys[n] == keys[n - 1])
                {
                    // Summed in float64 then stored: a group total is exact for counts below 2^24.
                    totals[^1] = (float)((double)totals[^1] + counts[n]);
                    continue;
                }
                groups.Add(keys[n]);
                totals.Add(counts[n]);
            }
            start[u + 1] = groups.Count;
        }
        return new SparseRows(start, groups.ToArray(), totals.ToArray());
    }

    /// <summary>B: Σ over the rows of each group of E[β], into <paramref name="table"/> ([groups × K], cleared first), rows in order.</summary>
    public static void GroupSums(float[] expected, int[] rowGroup, int factors, double[] table)
    {
        Array.Clear(table);
        for (var r = 0; r < rowGroup.Length; r++)
        {
            var row = expected.AsSpan(r * factors, factors);
            var sums = table.AsSpan(rowGroup[r] * factors, factors);
            for (var k = 0; k < factors; k++) sums[k] += row[k];
        }
    }

    /// <summary>
    /// G: per group a, Σ over its users of (r_ua/ξ_ua)·E[x_u] with ξ_ua = E[x_u]·B_a, into <paramref name="table"/>
    /// ([groups × K], cleared first). Parallel over groups, each group's users in ascending order: the same doubles
    /// whatever the thread count.
    /// </summary>
    /// <param name="groupUsers">The (user, group) pairs by group: the transpose of <see cref="UserGroupPairs"/> over all groups.</param>
    public static void WeightedUserSums(SparseRows groupUsers, float[] userExpected, double[] groupSums, int factors, double[] table, int threads)
    {
        Parallel.For(0, groupUsers.Rows, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, a =>
        {
            var sums = table.AsSpan(a * factors, factors);
            sums.Clear();
            var b = groupSums.AsSpan(a * factors, factors);
            var users = groupUsers.OthersOf(a);
            var totals = groupUsers.CountsOf(a);
            for (var n = 0; n < users.Length; n++)
            {
                var x = userExpected.AsSpan(users[n] * factors, factors);
                var w = totals[n] / Dot(x, b);
                for (var k = 0; k < factors; k++) sums[k] += w * x[k];
            }
        });
    }

    /// <summary>E[x_u]·B_a in float64.</summary>
    public static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var k = 0; k < x.Length; k++) sum += x[k] * b[k];
        return sum;
    }
}

/// <summary>
/// A user's rate data term: Σ_a w_ua·B_a over its played groups, with ξ_ua = E[x_u]·B_a from the user's E[x] before
/// the step (the optimal ξ for the current parameters, so the step is a coordinate ascent step of the bound).
/// </summary>
internal sealed class UserGroupRates(SparseRows pairs, int factors) : RowRates
{
    /// <summary>B, [groups × K]: set before each user half-step.</summary>
    public double[] GroupSums { get; set; } = [];

    public override ReadOnlySpan<double> Of(int row, FactorSide side, RowScratch scratch)
    {
        var rates = scratch.Rates.AsSpan(0, factors);
        rates.Clear();
        var x = side.Expected.AsSpan(row * factors, factors);
        var groups = pairs.OthersOf(row);
        var totals = pairs.CountsOf(row);
        var table = GroupSums;
        for (var n = 0; n < groups.Length; n++)
        {
            var b = table.AsSpan(groups[n] * factors, factors);
            var w = totals[n] / GroupTables.Dot(x, b);
            for (var k = 0; k < factors; k++) rates[k] += w * b[k];
        }
        return rates;
    }
}

/// <summary>An item's rate data term: G of its group.</summary>
internal sealed class ItemGroupRates(int[] rowGroup, int factors) : RowRates
{
    /// <summary>G, [groups × K]: set before each item half-step.</summary>
    public double[] WeightedUserSums { get; set; } = [];

    public override ReadOnlySpan<double> Of(int row, FactorSide side, RowScratch scratch) =>
        WeightedUserSums.AsSpan(rowGroup[row] * factors, factors);
}
