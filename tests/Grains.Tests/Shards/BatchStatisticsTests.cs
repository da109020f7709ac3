using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Shards;
using Hpf.Cluster.Grains.Tests.Engine;

namespace Hpf.Cluster.Grains.Tests.Shards;

/// <summary>A shard's SVI batch statistics, summed by position in parallel, against the same sums taken walking the batch in order.</summary>
public sealed class BatchStatisticsTests
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 300, items: 150, factors: 3, seed: 9);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Statistics_are_the_batch_order_sums_exact_path_included(int threads)
    {
        var state = new ModelState(Sample.Data, new TrainingOptions { Factors = 4, Members = 2, Seed = 1 }, SimdWidth.Auto);
        var (users, items) = (state.Users, state.Items);
        var members = users.Members;
        // Member 0 of some users and of some items on factors of their own: those pairs' products vanish and take the exact path.
        for (var u = 0; u < users.RowCount; u += 7) SetMemberZero(users, u, onFirstFactor: true);
        for (var i = 0; i < items.RowCount; i += 3) SetMemberZero(items, i, onFirstFactor: false);
        var batch = Enumerable.Range(0, users.RowCount).Where(u => u % 2 == 0).ToArray();

        var statistics = new BatchStatistics(members);
        var touched = statistics.Collect(users, batch, items.RowCount, threads);
        statistics.Accumulate(users, items, threads, CancellationToken.None);
        var (positions, sums, exactPositions, exact) = statistics.Part(0, items.RowCount);

        // The reference: the batch rows in order, each nonzero added to its position's sums.
        var expectedSums = new SortedDictionary<int, float[]>();
        var expectedExact = new SortedDictionary<int, double[]>();
        var scratch = new RowScratch(users.K, users.Stride);
        foreach (var r in batch)
        {
            var others = users.Rows.OthersOf(r);
            var counts = users.Rows.CountsOf(r);
            for (var j = 0; j < others.Length; j++)
            {
                var o = others[j];
                if (!expectedSums.TryGetValue(o, out var sum)) expectedSums[o] = sum = new float[users.Stride];
                var rowExact = new double[users.K];
                if (!users.AddStatistic(r, items, o, counts[j], sum, rowExact, scratch)) continue;
                if (!expectedExact.TryGetValue(o, out var total)) expectedExact[o] = total = new double[users.K];
                for (var f = 0; f < users.K; f++) total[f] += rowExact[f];
            }
        }

        Assert.Equal(expectedSums.Count, touched);
        Assert.Equal(expectedSums.Keys, positions);
        var compact = new float[users.K];
        var p = 0;
        foreach (var sum in expectedSums.Values)
        {
            members.Compact(sum, compact);
            Assert.Equal(compact, sums.AsSpan(p++ * users.K, users.K).ToArray());
        }
        Assert.NotEmpty(expectedExact);
        Assert.Equal(expectedExact.Keys, exactPositions);
        var x = 0;
        foreach (var total in expectedExact.Values)
            Assert.Equal(total, exact.AsSpan(x++ * users.K, users.K).ToArray());
    }

    /// <summary>Member 0's weights of a row all on its first factor, or all on its second.</summary>
    private static void SetMemberZero(FactorSide side, int row, bool onFirstFactor)
    {
        var weights = side.Members.WeightsOf(side.ExpElog.Slice(row * side.Stride, side.Stride), 0);
        weights.Clear();
        weights[onFirstFactor ? 0 : 1] = 1;
    }
}
