using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Engine;

/// <summary>The pieces of an SVI global step: a batch's nonzeros grouped by global row, and the rows stepped in chunks.</summary>
public sealed class StochasticStepTests
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 200, items: 120, factors: 3, seed: 21);

    // A batch of 2 users touches few items (the rows are sorted); a batch of 50 touches many (they are found by a scan).
    [Theory]
    [InlineData(2)]
    [InlineData(50)]
    public void A_batch_is_grouped_by_global_row_ascending_each_group_in_batch_order(int batchSize)
    {
        var builder = new DatasetBuilder();
        for (var u = 0; u < 120; u++)
            for (var j = 0; j < 3 + u % 3; j++) builder.Add($"u{u}", $"i{(u * 37 + j * 101) % 400}", 1 + (u + j) % 3);
        var data = builder.Build();
        var state = new ModelState(data, new TrainingOptions { Factors = 4, Members = 1, Seed = 1 }, SimdWidth.Auto);
        var batch = Enumerable.Range(0, data.Users).Where(u => u % 2 == 1).Take(batchSize).ToArray();
        var grouped = new BatchNonzeros();
        grouped.Collect(state.Users.Rows, state.Items.RowCount, batch);

        var expected = batch
            .SelectMany(u => state.Users.Rows.OthersOf(u).ToArray().Select((item, j) => (Item: item, User: u, Count: state.Users.Rows.CountsOf(u)[j])))
            .GroupBy(nz => nz.Item).OrderBy(g => g.Key).ToArray();
        Assert.True(batchSize < 50 ? expected.Length <= data.Items / 16 : expected.Length > data.Items / 16, $"{expected.Length} of {data.Items} rows touched");
        Assert.Equal(expected.Select(g => g.Key), grouped.GlobalRows);
        for (var g = 0; g < expected.Length; g++)
        {
            var entries = Enumerable.Range(grouped.GroupStart[g], grouped.GroupStart[g + 1] - grouped.GroupStart[g]).ToArray();
            Assert.Equal(expected[g].Select(nz => nz.User), entries.Select(j => grouped.LocalRows[j]));
            Assert.Equal(expected[g].Select(nz => nz.Count), entries.Select(j => grouped.Counts[j]));
        }
    }

    // A large batch is grouped in parts side by side: the same groups as one pass, batch after batch on the same buffers.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void A_batch_grouped_in_parts_is_grouped_as_in_one_pass(int parts)
    {
        var state = new ModelState(Sample.Data, new TrainingOptions { Factors = 3, Members = 1, Seed = 1 }, SimdWidth.Auto);
        var users = state.Users.RowCount;
        var inParts = new BatchNonzeros();
        foreach (var batch in new[] { Enumerable.Range(0, users).Where(u => u % 3 != 1).ToArray(), [5, 17, 3], Enumerable.Range(0, users).Reverse().ToArray() })
        {
            var onePass = new BatchNonzeros();
            onePass.Collect(state.Users.Rows, state.Items.RowCount, batch, parts: 1);
            inParts.Collect(state.Users.Rows, state.Items.RowCount, batch, parts: parts);

            Assert.Equal(onePass.GlobalRows, inParts.GlobalRows);
            Assert.Equal(onePass.GroupStart, inParts.GroupStart);
            var entries = onePass.GroupStart[^1];
            Assert.Equal(onePass.LocalRows.AsSpan(0, entries).ToArray(), inParts.LocalRows.AsSpan(0, entries).ToArray());
            Assert.Equal(onePass.Counts.AsSpan(0, entries).ToArray(), inParts.Counts.AsSpan(0, entries).ToArray());
        }
    }

    [Fact]
    public void Rows_stepped_in_chunks_change_the_column_sums_as_their_E_x_changed_for_any_thread_count()
    {
        (double[] Change, float[] After) Step(int threads)
        {
            var state = new ModelState(Sample.Data, new TrainingOptions { Factors = 4, Members = 1, Seed = 3 }, SimdWidth.Auto);
            var items = state.Items;
            // More rows than one chunk holds, so the chunks' sums are added up.
            var rows = Enumerable.Range(0, items.RowCount).Where(i => i % 3 != 0).ToList();
            Assert.True(rows.Count > GlobalRowStep.RowsPerChunk);
            var before = (float[])items.Expected.Clone();
            var statistic = new float[items.Stride];
            for (var f = 0; f < items.K; f++) statistic[f] = 0.5f + f;
            var change = new double[items.K];
            var buffer = Array.Empty<double>();
            var failed = GlobalRowStep.StepRows(items, rows, threads,
                (g, worker) => GlobalRowStep.StepTowards(items, rows[g], statistic, default, 2.0, 0.4, state.Users.ColumnSum, worker.Scratch),
                change, ref buffer, CancellationToken.None);
            Assert.Equal(-1, failed);
            var after = items.Expected;
            var expected = new double[items.K];
            foreach (var o in rows)
                for (var f = 0; f < items.K; f++) expected[f] += (double)after[o * items.K + f] - before[o * items.K + f];
            for (var f = 0; f < items.K; f++) Assert.Equal(expected[f], change[f], 1e-9 * Math.Max(1, Math.Abs(expected[f])));
            Assert.All(Enumerable.Range(0, items.RowCount).Where(i => i % 3 == 0),
                i => Assert.Equal(before.AsSpan(i * items.K, items.K).ToArray(), after.AsSpan(i * items.K, items.K).ToArray()));
            return (change, after);
        }

        var one = Step(1);
        var two = Step(2);
        Assert.Equal(one.Change, two.Change);
        Assert.Equal(one.After, two.After);
    }

    [Fact]
    public void A_row_that_fails_its_step_is_reported_the_lowest_first()
    {
        var state = new ModelState(Sample.Data, new TrainingOptions { Factors = 4, Members = 1, Seed = 3 }, SimdWidth.Auto);
        var rows = Enumerable.Range(0, state.Items.RowCount).ToList();
        var buffer = Array.Empty<double>();
        var failed = GlobalRowStep.StepRows(state.Items, rows, 2, (g, _) => rows[g] is not (77 or 90), new double[4], ref buffer, CancellationToken.None);
        Assert.Equal(77, failed);
    }
}
