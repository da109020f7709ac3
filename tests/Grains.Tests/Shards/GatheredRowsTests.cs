using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Shards;
using Hpf.Cluster.Grains.Tests.Engine;

namespace Hpf.Cluster.Grains.Tests.Shards;

/// <summary>A shard's row update over rows gathered from another shard is the in-process update, float for float, exact path included.</summary>
public sealed class GatheredRowsTests
{
    public static TheoryData<SimdWidth> Widths() => new() { SimdWidth.Scalar, SimdWidth.Bits256, SimdWidth.Bits512 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void A_row_update_over_gathered_weights_equals_the_update_over_the_other_side(SimdWidth width)
    {
        if (!WidthRuns(width)) return;
        var (users, items) = WithDenormalWeights(width);

        var all = Enumerable.Range(0, items.RowCount).ToArray();
        var gathered = new GatheredRows([0, items.RowCount], users.Members);
        Assert.True(gathered.Fill(0, WeightRows.Pack(items, all, null)));
        items.ColumnSum.CopyTo(gathered.ColumnSum, 0);
        var fromSide = new float[5];
        var fromGathered = new float[5];
        for (var i = 0; i < items.RowCount; i++)
        {
            items.LogWeightsOf(i, fromSide);
            gathered.LogWeightsOf(i, fromGathered);
            Assert.Equal(fromSide, fromGathered);
        }

        var scratch = new RowScratch(5, users.Stride);
        var before = (Shape: users.Shape.ToArray(), Rate: users.Rate.ToArray(), Activity: users.ActivityRate.ToArray());
        for (var u = 0; u < users.RowCount; u++) users.UpdateRow(u, items, scratch);
        var inProcess = (Shape: users.Shape.ToArray(), Rate: users.Rate.ToArray(), Activity: users.ActivityRate.ToArray());
        before.Shape.CopyTo(users.Shape, 0);
        before.Rate.CopyTo(users.Rate, 0);
        before.Activity.CopyTo(users.ActivityRate, 0);
        for (var u = 0; u < users.RowCount; u++) users.RefreshDerived(u, scratch, updateActivity: false);
        for (var u = 0; u < users.RowCount; u++) users.UpdateRow(u, gathered, scratch);

        Assert.Equal(inProcess.Shape, users.Shape);
        Assert.Equal(inProcess.Rate, users.Rate);
        Assert.Equal(inProcess.Activity, users.ActivityRate);
    }

    [Fact]
    public void A_push_in_parts_fills_the_table_as_the_whole_push_does_exact_rows_at_their_place()
    {
        var (users, items) = WithDenormalWeights(SimdWidth.Scalar);
        var all = Enumerable.Range(0, items.RowCount).ToArray();
        var whole = new GatheredRows([0, items.RowCount], users.Members);
        Assert.True(whole.Fill(0, WeightRows.Pack(items, all, null)));

        // Three parts of 7, 7 and 6 rows, as a sender cuts a push too large for one message.
        var parts = new List<RowPush>();
        for (var first = 0; first < all.Length; first += 7)
        {
            var rows = all.AsSpan(first, Math.Min(7, all.Length - first));
            parts.Add(new RowPush(0, 1, 1, new double[5], WeightRows.Pack(items, rows, null), first, 3));
        }
        Assert.Contains(parts, p => p.Rows!.ExactRows.Length > 0 && p.FirstRow > 0);
        var inParts = new GatheredRows([0, items.RowCount], users.Members);
        Assert.True(inParts.Fill(0, parts));

        Assert.Equal(whole.ExpElog.ToArray(), inParts.ExpElog.ToArray());
        var fromWhole = new float[5];
        var fromParts = new float[5];
        for (var i = 0; i < items.RowCount; i++)
        {
            whole.LogWeightsOf(i, fromWhole);
            inParts.LogWeightsOf(i, fromParts);
            Assert.Equal(fromWhole, fromParts);
        }
        // A part missing or out of place is refused, not taken as rows it does not hold.
        Assert.Throws<InvalidOperationException>(() => inParts.Fill(0, [parts[0], parts[2]]));
        Assert.Throws<InvalidOperationException>(() => inParts.Fill(0, [parts[1], parts[0], parts[2]]));
    }

    /// <summary>A sampled model whose item weights are denormal or zero for half the items, so user 0's nonzeros with them take the exact path.</summary>
    private static (FactorSide Users, FactorSide Items) WithDenormalWeights(SimdWidth width)
    {
        var sample = ModelSamples.Draw(users: 30, items: 20, factors: 5, seed: 9);
        var state = new ModelState(sample.Data, new TrainingOptions { Factors = 5, Threads = 1 }, width);
        var (users, items) = (state.Users, state.Items);
        // Half the items are strong only in factor 4 by about e^95, user 0 only in factor 0: their products underflow,
        // so user 0's nonzeros with them take the exact path; those items' weights are denormal or zero.
        for (var i = 0; i < items.RowCount; i += 2)
        {
            for (var k = 0; k < 5; k++)
            {
                items.Shape[i * 5 + k] = k == 4 ? 1e6f : 1f;
                items.Rate[i * 5 + k] = k == 4 ? 1f : 1e35f;
            }
        }
        for (var k = 0; k < 5; k++)
        {
            users.Shape[k] = k == 0 ? 1e6f : 1f;
            users.Rate[k] = k == 0 ? 1f : 1e35f;
        }
        var scratch = new RowScratch(5, users.Stride);
        users.RefreshDerived(0, scratch, updateActivity: false);
        for (var i = 0; i < items.RowCount; i++) items.RefreshDerived(i, scratch, updateActivity: false);
        items.RecomputeColumnSums();
        Assert.Contains(true, items.ExactRows);
        return (users, items);
    }

    private static bool WidthRuns(SimdWidth width) => width switch
    {
        SimdWidth.Bits512 => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        SimdWidth.Bits256 => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated,
        _ => true,
    };
}
