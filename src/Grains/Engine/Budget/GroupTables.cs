using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

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

    /// <summary>A float32 row widened to float64, so the table kernels run on vectors of one type.</summary>
    public static void Widen(ReadOnlySpan<float> row, Span<double> destination)
    {
        if (destination.Length < row.Length) throw new ArgumentException("destination needs one element per factor");
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var source = ref MemoryMarshal.GetReference(row);
            ref var target = ref MemoryMarshal.GetReference(destination);
            for (; j + 16 <= row.Length; j += 16)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref source, (nuint)j));
                lower.StoreUnsafe(ref target, (nuint)j);
                upper.StoreUnsafe(ref target, (nuint)j + 8);
            }
        }
        for (; j < row.Length; j++) destination[j] = row[j];
    }

    /// <summary>E[x_u]·B_a in float64.</summary>
    public static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var k = 0; k < x.Length; k++) sum += x[k] * b[k];
        return sum;
    }

    /// <summary>
    /// x·b of two float64 rows, eight lanes at a time where the machine has AVX-512, else four, the last few factors
    /// one by one. Two of these and a <see cref="AddScaled"/> per (user, group) pair are all the budget model adds to
    /// HPF's iteration, so they are written for rows of a few dozen factors, where the library's general kernels spend
    /// a third of their time on their set-up.
    /// </summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> b)
    {
        var n = x.Length;
        if (b.Length < n) throw new ArgumentException("b needs one element per factor of x");
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var pb = ref MemoryMarshal.GetReference(b);
        var j = 0;
        double sum;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<double>.Zero;
            for (; j + 8 <= n; j += 8) acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)j), Vector512.LoadUnsafe(ref pb, (nuint)j), acc);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            for (; j + 4 <= n; j += 4) acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)j), Vector256.LoadUnsafe(ref pb, (nuint)j), acc);
            sum = Vector256.Sum(acc);
        }
        else
        {
            sum = 0;
        }
        for (; j < n; j++) sum += x[j] * b[j];
        return sum;
    }

    /// <summary>acc += c·v, float64, in the widths <see cref="Dot(ReadOnlySpan{double}, ReadOnlySpan{double})"/> takes.</summary>
    public static void AddScaled(ReadOnlySpan<double> v, double c, Span<double> acc)
    {
        var n = v.Length;
        if (acc.Length < n) throw new ArgumentException("acc needs one element per factor of v");
        ref var pv = ref MemoryMarshal.GetReference(v);
        ref var pa = ref MemoryMarshal.GetReference(acc);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(c);
            for (; j + 8 <= n; j += 8)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pv, (nuint)j), scale, Vector512.LoadUnsafe(ref pa, (nuint)j)).StoreUnsafe(ref pa, (nuint)j);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(c);
            for (; j + 4 <= n; j += 4)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pv, (nuint)j), scale, Vector256.LoadUnsafe(ref pa, (nuint)j)).StoreUnsafe(ref pa, (nuint)j);
        }
        for (; j < n; j++) acc[j] = Math.FusedMultiplyAdd(v[j], c, acc[j]);
    }
}

/// <summary>
/// G: per group a, Σ over its users of (r_ua/ξ_ua)·E[x_u] with ξ_ua = E[x_u]·B_a. The users are cut into a fixed number
/// of contiguous ranges, each summed into a table of its own while its rows stream through the cache (reading the users
/// group by group instead would fetch a random row of E[x] for every pair); the range tables are then added in range
/// order, so the result is the same whatever the thread count. The range tables are kept from call to call.
/// </summary>
internal sealed class WeightedUserSumsPass(SparseRows pairs, int groups, int factors)
{
    /// <summary>Ranges of users: as many threads as help on a few cores, at the memory of this many tables.</summary>
    private const int Ranges = 4;

    private readonly double[][] _partial = [.. Enumerable.Range(0, Ranges).Select(_ => new double[groups * factors])];

    /// <summary>G into <paramref name="table"/> ([groups × K]) from the users' E[x] and B.</summary>
    public void Compute(float[] userExpected, double[] groupSums, double[] table, int threads)
    {
        var users = pairs.Rows;
        Parallel.For(0, Ranges, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, range =>
        {
            var partial = _partial[range];
            Array.Clear(partial);
            var x = new double[factors];
            for (var u = (int)((long)users * range / Ranges); u < (int)((long)users * (range + 1) / Ranges); u++)
            {
                var groupsOf = pairs.OthersOf(u);
                if (groupsOf.Length == 0) continue;
                GroupTables.Widen(userExpected.AsSpan(u * factors, factors), x);
                var totals = pairs.CountsOf(u);
                for (var n = 0; n < groupsOf.Length; n++)
                {
                    if (n + 1 < groupsOf.Length)
                    {
                        CacheLines.Prefetch(groupSums, groupsOf[n + 1] * factors, factors);
                        CacheLines.Prefetch(partial, groupsOf[n + 1] * factors, factors);
                    }
                    var b = groupSums.AsSpan(groupsOf[n] * factors, factors);
                    var sums = partial.AsSpan(groupsOf[n] * factors, factors);
                    GroupTables.AddScaled(x, totals[n] / GroupTables.Dot(x, b), sums);
                }
            }
        });
        _partial[0].AsSpan().CopyTo(table);
        for (var range = 1; range < Ranges; range++) TensorPrimitives.Add(table, _partial[range], table);
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
        var x = scratch.Factors.AsSpan(0, factors);
        GroupTables.Widen(side.Expected.AsSpan(row * factors, factors), x);
        var groups = pairs.OthersOf(row);
        var totals = pairs.CountsOf(row);
        var table = GroupSums;
        for (var n = 0; n < groups.Length; n++)
        {
            if (n + 1 < groups.Length) CacheLines.Prefetch(table, groups[n + 1] * factors, factors);
            var b = table.AsSpan(groups[n] * factors, factors);
            GroupTables.AddScaled(b, totals[n] / GroupTables.Dot(x, b), rates);
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
