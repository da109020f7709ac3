using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// A dataset drawn from the HPF generative model (HPF-MATH.md, "Model"), with the true factors that made it, so that
/// tests and benchmarks can compare a fitted model with the truth. User n is "u{n}" and item n is "i{n}".
///
/// Counts are drawn without touching all U×I pairs: y_ui = Σ_k y_uik with y_uik ~ Poisson(θ_uk β_ik) independent,
/// and for each (u, k) the total n_uk = Σ_i y_uik ~ Poisson(θ_uk B_k), B_k = Σ_i β_ik, spread over the items as a
/// multinomial with probabilities β_ik / B_k. That is the same joint distribution (Poisson superposition and
/// splitting), at a cost of O(U·K + I·K + total count).
///
/// Every row draws from its own stream, derived from the seed and the row's index, so the data do not depend on
/// the thread count.
/// </summary>
public sealed class SyntheticDataset
{
    private const ulong UserFactorStream = 1, ItemFactorStream = 2, CountStream = 3, CalibrationStream = 4;
    private const int RowsPerBlock = 256;
    /// <summary>Users and items sampled to estimate the nonzeros a scale gives: a grid of up to 1024² pairs.</summary>
    private const int CalibrationRows = 1024;

    private readonly string[] _sortedUserIds, _sortedItemIds;
    private readonly int[] _userOfRank, _itemOfRank;

    private SyntheticDataset(
        SyntheticOptions options, Dataset data, double scale,
        double[] theta, double[] beta, double[] activity, double[] popularity,
        string[] sortedUserIds, int[] userOfRank, string[] sortedItemIds, int[] itemOfRank)
    {
        Options = options;
        Data = data;
        Scale = scale;
        Theta = theta;
        Beta = beta;
        Activity = activity;
        Popularity = popularity;
        _sortedUserIds = sortedUserIds;
        _userOfRank = userOfRank;
        _sortedItemIds = sortedItemIds;
        _itemOfRank = itemOfRank;
        ExpectedTotalCount = ComputeExpectedTotal(theta, beta, options.Factors);
    }

    public SyntheticOptions Options { get; }

    /// <summary>The drawn counts; users and items that drew no count are absent, as they would be from the file.</summary>
    public Dataset Data { get; }

    public int Factors => Options.Factors;

    /// <summary>The factor θ_u of every generated user, [Users × K], row n for "u{n}" (scale included).</summary>
    public double[] Theta { get; }

    /// <summary>The factor β_i of every generated item, [Items × K], row n for "i{n}".</summary>
    public double[] Beta { get; }

    /// <summary>ξ_u of every user, divided by the scale (the activity of the scaled model).</summary>
    public double[] Activity { get; }

    /// <summary>η_i of every item.</summary>
    public double[] Popularity { get; }

    /// <summary>The factor every θ was multiplied by: Options.Scale, or the one chosen for Options.TargetNonzeros.</summary>
    public double Scale { get; }

    /// <summary>E[Σ_ui y_ui | θ, β] = Σ_k (Σ_u θ_uk)(Σ_i β_ik); the drawn total is Poisson with this mean.</summary>
    public double ExpectedTotalCount { get; }

    public static string UserId(int user) => "u" + user.ToString(CultureInfo.InvariantCulture);
    public static string ItemId(int item) => "i" + item.ToString(CultureInfo.InvariantCulture);

    /// <summary>The true Poisson mean θ_u·β_i of generated user and item indices (the n of "u{n}", "i{n}").</summary>
    public double TrueMean(int user, int item)
    {
        var k = Factors;
        double sum = 0;
        for (var f = 0; f < k; f++) sum += Theta[user * k + f] * Beta[item * k + f];
        return sum;
    }

    /// <summary>
    /// The truth as an <see cref="HpfModel"/> over every generated user and item, whose expectations are the true
    /// factors (shape = θ, rate = 1), so that the evaluation of a fitted model can be set against that of the truth.
    /// </summary>
    public HpfModel ToTrueModel()
    {
        var k = Factors;
        var priors = Options.Priors with { BPrime = Options.BPrime / Scale };
        // The generative model is one HPF model: a single member.
        var training = new TrainingOptions { Factors = k, Members = 1, Priors = priors, Seed = Options.Seed };
        var users = _sortedUserIds.Length;
        var items = _sortedItemIds.Length;
        var userShape = new float[users * k];
        var userRate = new float[users * k];
        var userActivityRate = new float[users];
        var activityShape = priors.APrime + k * priors.A;
        for (var r = 0; r < users; r++)
        {
            var n = _userOfRank[r];
            for (var f = 0; f < k; f++) userShape[r * k + f] = (float)Theta[n * k + f];
            userActivityRate[r] = (float)(activityShape / Activity[n]);
        }
        Array.Fill(userRate, 1f);
        var itemShape = new float[items * k];
        var itemRate = new float[items * k];
        var itemPopularityRate = new float[items];
        var popularityShape = priors.CPrime + k * priors.C;
        for (var r = 0; r < items; r++)
        {
            var n = _itemOfRank[r];
            for (var f = 0; f < k; f++) itemShape[r * k + f] = (float)Beta[n * k + f];
            itemPopularityRate[r] = (float)(popularityShape / Popularity[n]);
        }
        Array.Fill(itemRate, 1f);
        return new HpfModel(training, _sortedUserIds, _sortedItemIds, userShape, userRate, userActivityRate, itemShape, itemRate, itemPopularityRate);
    }

    /// <summary>Writes the triplets only, <c>user&lt;TAB&gt;item&lt;TAB&gt;count</c> without a header, for <c>hpf synth</c>.</summary>
    public void WriteTsv(string path, CancellationToken ct = default)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        WriteTsv(writer, ct);
    }

    /// <summary>Writes the triplets in user, then item, order (ordinal ids), one per line ending in '\n'.</summary>
    public void WriteTsv(TextWriter writer, CancellationToken ct = default) => Data.WriteTsv(writer, ct);

    /// <summary>Draws θ, β and the counts. Same options (whatever Threads is) give the same dataset.</summary>
    public static SyntheticDataset Generate(SyntheticOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int users = options.Users, items = options.Items, k = options.Factors, threads = options.EffectiveThreads;
        var seed = options.Seed;

        var theta = new double[users * k];
        var activity = new double[users];
        ForEachBlock(users, threads, ct, (start, end) =>
            DrawFactors(seed, UserFactorStream, start, end, k, options.A, options.APrime, options.APrime / options.BPrime, theta, activity));
        var beta = new double[items * k];
        var popularity = new double[items];
        ForEachBlock(items, threads, ct, (start, end) =>
            DrawFactors(seed, ItemFactorStream, start, end, k, options.C, options.CPrime, options.CPrime / options.DPrime, beta, popularity));

        var scale = options.TargetNonzeros is { } target ? ChooseScale(theta, beta, users, items, k, target, seed) : options.Scale;
        if (scale != 1.0)
        {
            // sθ ~ Gamma(a, ξ/s): the scaled factors are an HPF sample whose activities are ξ/s.
            for (var j = 0; j < theta.Length; j++) theta[j] *= scale;
            for (var n = 0; n < users; n++) activity[n] /= scale;
        }

        var (sortedUserIds, userOfRank, userRank) = OrdinalOrder(users, UserId);
        var (sortedItemIds, itemOfRank, _) = OrdinalOrder(items, ItemId);

        // Per factor: B_k and an alias table over items in rank order, so that sorted draws come out in dataset order.
        var columnSum = new double[k];
        for (var i = 0; i < items; i++)
            for (var f = 0; f < k; f++) columnSum[f] += beta[i * k + f];
        var tables = new AliasTable?[k];
        Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, f =>
        {
            if (columnSum[f] <= 0) return;   // every β_·f underflowed: the factor places no counts
            var weights = new double[items];
            for (var r = 0; r < items; r++) weights[r] = beta[itemOfRank[r] * k + f];
            tables[f] = new AliasTable(weights);
        });

        var rowItems = new int[users][];
        var rowCounts = new float[users][];
        ForEachBlock(users, threads, ct, () => new List<int>(), (start, end, draws) =>
        {
            for (var n = start; n < end; n++)
            {
                var rng = Xoshiro256StarStar.ForStream(seed, CountStream, (ulong)n);
                draws.Clear();
                for (var f = 0; f < k; f++)
                {
                    var table = tables[f];
                    if (table is null) continue;
                    var total = RandomVariates.Poisson(ref rng, theta[n * k + f] * columnSum[f]);
                    for (long d = 0; d < total; d++) draws.Add(table.Sample(ref rng));
                }
                (rowItems[userRank[n]], rowCounts[userRank[n]]) = CountDraws(draws);
            }
        });

        var data = Assemble(rowItems, rowCounts, sortedUserIds, sortedItemIds);
        return new SyntheticDataset(options, data, scale, theta, beta, activity, popularity, sortedUserIds, userOfRank, sortedItemIds, itemOfRank);
    }

    private static void DrawFactors(ulong seed, ulong stream, int start, int end, int k, double shape, double hyperShape, double hyperRate, double[] factors, double[] hyper)
    {
        for (var n = start; n < end; n++)
        {
            var rng = Xoshiro256StarStar.ForStream(seed, stream, (ulong)n);
            var h = RandomVariates.Gamma(ref rng, hyperShape, hyperRate);
            hyper[n] = h;
            for (var f = 0; f < k; f++) factors[n * k + f] = RandomVariates.Gamma(ref rng, shape, h);
        }
    }

    /// <summary>Sorted item ranks → (distinct ranks, how often each was drawn).</summary>
    private static (int[] Items, float[] Counts) CountDraws(List<int> draws)
    {
        if (draws.Count == 0) return ([], []);
        var span = CollectionsMarshal.AsSpan(draws);
        span.Sort();
        var distinct = 1;
        for (var j = 1; j < span.Length; j++)
            if (span[j] != span[j - 1]) distinct++;
        var items = new int[distinct];
        var counts = new float[distinct];
        var slot = 0;
        items[0] = span[0];
        counts[0] = 1;
        for (var j = 1; j < span.Length; j++)
        {
            if (span[j] != span[j - 1]) items[++slot] = span[j];
            counts[slot]++;
        }
        return (items, counts);
    }

    /// <summary>Rows in user-rank order → a dataset of the users and items that have a count, dense indices kept in order.</summary>
    private static Dataset Assemble(int[][] rowItems, float[][] rowCounts, string[] sortedUserIds, string[] sortedItemIds)
    {
        var itemUsed = new bool[sortedItemIds.Length];
        long nonzeros = 0;
        var keptUsers = 0;
        foreach (var row in rowItems)
        {
            if (row.Length == 0) continue;
            keptUsers++;
            nonzeros += row.Length;
            foreach (var i in row) itemUsed[i] = true;
        }
        if (nonzeros == 0)
            throw new InvalidOperationException("the draw produced no nonzero counts: raise the scale, the number of users or items, or the target");
        if (nonzeros > Array.MaxLength)
            throw new InvalidOperationException($"the draw produced {nonzeros} nonzeros, more than one array holds ({Array.MaxLength})");

        var itemIndex = new int[sortedItemIds.Length];
        var itemIds = new List<string>();
        for (var r = 0; r < sortedItemIds.Length; r++)
        {
            itemIndex[r] = itemUsed[r] ? itemIds.Count : -1;
            if (itemUsed[r]) itemIds.Add(sortedItemIds[r]);
        }
        var userIds = new string[keptUsers];
        var rowStart = new int[keptUsers + 1];
        var other = new int[nonzeros];
        var counts = new float[nonzeros];
        var u = 0;
        var at = 0;
        for (var r = 0; r < rowItems.Length; r++)
        {
            var row = rowItems[r];
            if (row.Length == 0) continue;
            userIds[u] = sortedUserIds[r];
            for (var n = 0; n < row.Length; n++) other[at + n] = itemIndex[row[n]];
            rowCounts[r].CopyTo(counts, at);
            at += row.Length;
            rowStart[++u] = at;
        }
        return new Dataset(userIds, itemIds.ToArray(), new SparseRows(rowStart, other, counts));
    }

    /// <summary>
    /// The scale s for which the expected number of nonzeros, Σ_ui (1 − exp(−s·μ_ui)) with μ_ui = θ_u·β_i, is
    /// <paramref name="target"/>. It is written as s·M·r(s): M = Σ_ui μ_ui = Σ_k (Σ_u θ_uk)(Σ_i β_ik) is exact and
    /// cheap, and only the share r(s) of pairs' means that survive as distinct nonzeros (it falls from 1 as pairs
    /// collide) is estimated, on a grid of sampled users × sampled items. A ratio of two sums over the same pairs
    /// varies far less between samples than either sum, and is exact in the sparse limit. Solved by bisection:
    /// the expectation grows with s.
    /// </summary>
    private static double ChooseScale(double[] theta, double[] beta, int users, int items, int k, long target, ulong seed)
    {
        var total = ComputeExpectedTotal(theta, beta, k);
        var rng = Xoshiro256StarStar.ForStream(seed, CalibrationStream, 0);
        var sampledUsers = SampleRows(users, ref rng);
        var sampledItems = SampleRows(items, ref rng);
        var means = new double[sampledUsers.Length * sampledItems.Length];
        double sumOfMeans = 0;
        for (var a = 0; a < sampledUsers.Length; a++)
        {
            var u = sampledUsers[a];
            for (var b = 0; b < sampledItems.Length; b++)
            {
                var i = sampledItems[b];
                double mu = 0;
                for (var f = 0; f < k; f++) mu += theta[u * k + f] * beta[i * k + f];
                means[a * sampledItems.Length + b] = mu;
                sumOfMeans += mu;
            }
        }
        if (!(sumOfMeans > 0 && total > 0) || double.IsInfinity(sumOfMeans) || double.IsInfinity(total))
            throw new InvalidOperationException("cannot choose a scale for the target: the Poisson means are all zero or not finite");

        double ExpectedNonzeros(double s)
        {
            double survived = 0;
            foreach (var mu in means)
            {
                var x = s * mu;
                survived += x < 1e-5 ? x * (1 - 0.5 * x) : 1 - Math.Exp(-x);   // 1 − e^(−x) without cancellation for small x
            }
            return s * total * (survived / (s * sumOfMeans));
        }

        // r(s) ≤ 1, so target/M gives at most the target: a lower end for the bracket.
        var low = target / total;
        var high = low;
        while (ExpectedNonzeros(high) < target)
        {
            low = high;
            high *= 2;
            if (double.IsInfinity(high))
                throw new InvalidOperationException($"no scale reaches {target} expected nonzeros on {users} × {items} pairs");
        }
        while (high > low * (1 + 1e-9))
        {
            var middle = Math.Sqrt(low * high);
            if (ExpectedNonzeros(middle) < target) low = middle;
            else high = middle;
        }
        return Math.Sqrt(low * high);
    }

    private static int[] SampleRows(int count, ref Xoshiro256StarStar rng)
    {
        if (count <= CalibrationRows)
        {
            var all = new int[count];
            for (var j = 0; j < count; j++) all[j] = j;
            return all;
        }
        var sample = new int[CalibrationRows];
        for (var j = 0; j < sample.Length; j++) sample[j] = rng.NextInt(count);
        return sample;
    }

    private static double ComputeExpectedTotal(double[] theta, double[] beta, int k)
    {
        var userSum = new double[k];
        var itemSum = new double[k];
        for (var j = 0; j < theta.Length; j++) userSum[j % k] += theta[j];
        for (var j = 0; j < beta.Length; j++) itemSum[j % k] += beta[j];
        double total = 0;
        for (var f = 0; f < k; f++) total += userSum[f] * itemSum[f];
        return total;
    }

    /// <summary>Ids in ordinal order (as <see cref="Dataset"/> orders them), the generator index of each rank, and the rank of each index.</summary>
    private static (string[] SortedIds, int[] IndexOfRank, int[] RankOfIndex) OrdinalOrder(int count, Func<int, string> idOf)
    {
        var ids = new string[count];
        var indexOfRank = new int[count];
        for (var n = 0; n < count; n++)
        {
            ids[n] = idOf(n);
            indexOfRank[n] = n;
        }
        Array.Sort(ids, indexOfRank, StringComparer.Ordinal);
        var rankOfIndex = new int[count];
        for (var r = 0; r < count; r++) rankOfIndex[indexOfRank[r]] = r;
        return (ids, indexOfRank, rankOfIndex);
    }

    private static void ForEachBlock(int rows, int threads, CancellationToken ct, Action<int, int> body) =>
        ForEachBlock<object?>(rows, threads, ct, () => null, (start, end, _) => body(start, end));

    /// <summary>Runs <paramref name="body"/> over fixed blocks of rows with per-worker scratch; blocks never share output.</summary>
    private static void ForEachBlock<TScratch>(int rows, int threads, CancellationToken ct, Func<TScratch> scratch, Action<int, int, TScratch> body)
    {
        var blocks = (rows + RowsPerBlock - 1) / RowsPerBlock;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, scratch, (block, _, local) =>
        {
            ct.ThrowIfCancellationRequested();
            var start = block * RowsPerBlock;
            body(start, Math.Min(rows, start + RowsPerBlock), local);
            return local;
        }, _ => { });
    }
}
