namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// A train/test partition of a dataset's nonzeros. Each side keeps only the users and items it has nonzeros for;
/// a test row whose user or item is missing from training is the evaluator's business (it counts and skips it).
/// </summary>
public sealed record DatasetSplit(Dataset Train, Dataset Test)
{
    /// <summary>
    /// Puts exactly round(testFraction × nonzeros) nonzeros, chosen uniformly at random, into the test set.
    /// Knuth's selection sampling (Algorithm S) walks the nonzeros once in the dataset's canonical order, so the
    /// split depends only on the data and the seed: not on the order of the input lines nor on any thread count.
    /// </summary>
    public static DatasetSplit ByFraction(Dataset data, double testFraction, ulong seed, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException("test-fraction", testFraction, $"option '--test-fraction' must lie in (0, 1), got {testFraction}");
        var total = data.Nonzeros;
        var wanted = (int)Math.Round(testFraction * total, MidpointRounding.AwayFromZero);
        if (wanted == 0 || wanted == total)
            throw new ArgumentOutOfRangeException("test-fraction", testFraction,
                $"option '--test-fraction' {testFraction} of {total} nonzeros leaves one side of the split empty");

        var inTest = new bool[total];
        var rng = Xoshiro256StarStar.ForStream(seed, purpose: 0x5B117, index: 0);
        var chosen = 0;
        for (var t = 0; t < total && chosen < wanted; t++)
        {
            if ((t & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
            // Take nonzero t with probability (still wanted) / (still left): exactly `wanted` in the end.
            if ((total - t) * rng.NextDouble() < wanted - chosen)
            {
                inTest[t] = true;
                chosen++;
            }
        }
        return new DatasetSplit(Subset(data, inTest, false), Subset(data, inTest, true));
    }

    /// <summary>The nonzeros whose flag equals <paramref name="side"/>, over the users and items they touch (order kept).</summary>
    private static Dataset Subset(Dataset data, bool[] flag, bool side)
    {
        var rows = data.ByUser;
        var itemUsed = new bool[data.Items];
        var users = 0;
        var nonzeros = 0;
        for (var u = 0; u < data.Users; u++)
        {
            var any = false;
            for (var n = rows.RowStart[u]; n < rows.RowStart[u + 1]; n++)
            {
                if (flag[n] != side) continue;
                any = true;
                nonzeros++;
                itemUsed[rows.Other[n]] = true;
            }
            if (any) users++;
        }

        var itemIndex = new int[data.Items];
        var itemIds = new List<string>();
        for (var i = 0; i < data.Items; i++)
        {
            itemIndex[i] = itemUsed[i] ? itemIds.Count : -1;
            if (itemUsed[i]) itemIds.Add(data.ItemIds[i]);
        }
        var userIds = new string[users];
        var rowStart = new int[users + 1];
        var other = new int[nonzeros];
        var counts = new float[nonzeros];
        var row = 0;
        var at = 0;
        for (var u = 0; u < data.Users; u++)
        {
            var before = at;
            for (var n = rows.RowStart[u]; n < rows.RowStart[u + 1]; n++)
            {
                if (flag[n] != side) continue;
                other[at] = itemIndex[rows.Other[n]];
                counts[at] = rows.Counts[n];
                at++;
            }
            if (at == before) continue;
            userIds[row] = data.UserIds[u];
            rowStart[++row] = at;
        }
        return new Dataset(userIds, itemIds.ToArray(), new SparseRows(rowStart, other, counts));
    }
}
