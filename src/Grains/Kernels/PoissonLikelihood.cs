using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// Poisson log-likelihoods with μ_ui = E[θ_u]·E[β_i] / M (HPF-MATH.md, "Objectives"; M the ensemble's members, whose
/// factors the dot product runs over, so μ is their mean), log y! included so that the value is a true
/// log-probability (≤ 0) however large the counts.
/// </summary>
public static class PoissonLikelihood
{
    /// <summary>
    /// Σ_nonzeros (y log μ − log y!) − Σ_k (Σ_u E[θ_uk])(Σ_i E[β_ik]): the log-likelihood of the whole
    /// matrix, zeros included, at the cost of the nonzeros only.
    /// </summary>
    /// <param name="userExpected">E[θ], [U × K].</param>
    /// <param name="itemExpected">E[β], [I × K].</param>
    /// <param name="userColumnSums">Σ_u E[θ_uk].</param>
    /// <param name="itemColumnSums">Σ_i E[β_ik].</param>
    public static double Training(Dataset data, float[] userExpected, float[] itemExpected,
        ReadOnlySpan<double> userColumnSums, ReadOnlySpan<double> itemColumnSums, int factors, int members, int threads = 1)
    {
        var total = NonzeroTerm(data.ByUser, userExpected, itemExpected, factors, members, threads);
        return total - data.SumLogFactorial - ZerosTerm(userColumnSums, itemColumnSums, factors, members);
    }

    /// <summary>Σ_u Σ_i μ_ui over the whole matrix, from the column sums: Σ_k (Σ_u E[θ_uk])(Σ_i E[β_ik]) / M.</summary>
    public static double ZerosTerm(ReadOnlySpan<double> userColumnSums, ReadOnlySpan<double> itemColumnSums, int factors, int members)
    {
        double zeros = 0;
        for (var k = 0; k < factors; k++) zeros += userColumnSums[k] * itemColumnSums[k];
        return zeros / members;
    }

    /// <summary>
    /// Σ over the nonzeros of <paramref name="rows"/> of y·log(E[x_r]·E[o] / M) (without log y!), where each nonzero's
    /// counterpart indexes <paramref name="otherExpected"/>: the whole training set's term, or a shard's part of it.
    /// </summary>
    public static double NonzeroTerm(SparseRows rows, float[] rowExpected, float[] otherExpected, int factors, int members, int threads = 1)
    {
        if (rowExpected.Length < rows.Rows * factors) throw new ArgumentException("rowExpected needs factors elements per row");
        double scale = members;
        var inRegisters = Avx512F.IsSupported && Vector512.IsHardwareAccelerated && factors >= Vector512<float>.Count && factors <= 4 * Vector512<float>.Count;
        // Fixed chunks of rows, summed in chunk order: the same value whatever the thread count.
        const int chunk = 512;
        var chunks = (rows.Rows + chunk - 1) / chunk;
        var partial = new double[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, c =>
        {
            var end = Math.Min(rows.Rows, (c + 1) * chunk);
            partial[c] = inRegisters
                ? ChunkInRegisters512(rows, c * chunk, end, rowExpected, otherExpected, factors, scale)
                : Chunk(rows, c * chunk, end, rowExpected, otherExpected, factors, scale);
        });
        double total = 0;
        foreach (var p in partial) total += p;
        return total;
    }

    private static double Chunk(SparseRows rows, int start, int end, float[] rowExpected, float[] otherExpected, int factors, double scale)
    {
        double sum = 0;
        for (var u = start; u < end; u++)
        {
            var theta = rowExpected.AsSpan(u * factors, factors);
            var others = rows.OthersOf(u);
            var counts = rows.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                // The counterpart rows are scattered over a table far larger than the caches, as in the fused loop.
                if (n + FusedShapePass.PrefetchDistance < others.Length) CacheLines.Prefetch(otherExpected, others[n + FusedShapePass.PrefetchDistance] * factors, factors);
                sum += counts[n] * Math.Log(TensorPrimitives.Dot(theta, otherExpected.AsSpan(others[n] * factors, factors)) / scale);
            }
        }
        return sum;
    }

    /// <summary>
    /// <see cref="Chunk"/> for 16 ≤ K ≤ 64 on AVX-512: a row's E[x] stays in registers for all its nonzeros (the last
    /// register the row's last 16 factors, with the lanes the others already hold zeroed), each counterpart row is read
    /// in as many loads, and the logarithms are taken eight nonzeros at a time. At 48M nonzeros the library's dot product
    /// and a scalar logarithm per nonzero made a likelihood check cost about half an iteration.
    /// </summary>
    private static unsafe double ChunkInRegisters512(SparseRows rows, int start, int end, float[] rowExpected, float[] otherExpected, int factors, double scale)
    {
        var lanes = Vector512<float>.Count;
        var registers = (factors + lanes - 1) / lanes;
        var last = factors - lanes;
        // Lane l of the last register is factor last + l; lanes below 16·registers − K are factors a full register holds.
        var tailMask = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(registers * lanes - factors)).AsSingle();
        // Up to eight nonzeros' normalisers ⟨E[θ], E[β]⟩ waiting for their logarithms, and their counts (a stackalloc
        // here made the whole loop slower).
        var buffer = new double[16];
        var pending = 0;
        var sum = Vector512<double>.Zero;
        var scales = Vector512.Create(scale);
        // The chunk's nonzeros lie side by side, so the requests run on past a row's end into the next rows: a row's
        // first counterparts are asked for while the row before computes, as the fused loops' PrefetchFar does.
        var chunkEnd = rows.RowStart[end];
        var farLimit = FusedShapePass.FarLimit(chunkEnd, otherExpected.Length);
        fixed (double* normalisers = buffer)
        fixed (float* thetaTable = rowExpected, table = otherExpected)
        fixed (int* allOthers = rows.Other)
        fixed (float* allCounts = rows.Counts)
        {
            var weights = normalisers + 8;
            for (var u = start; u < end; u++)
            {
                var theta = thetaTable + (nint)u * factors;
                var t0 = Vector512.Load(theta);
                var t1 = registers > 2 ? Vector512.Load(theta + lanes) : Vector512<float>.Zero;
                var t2 = registers > 3 ? Vector512.Load(theta + 2 * lanes) : Vector512<float>.Zero;
                var tTail = Vector512.Load(theta + last) & tailMask;
                var rowEnd = rows.RowStart[u + 1];
                for (var j = rows.RowStart[u]; j < rowEnd; j++)
                {
                    // Each counterpart row asked for twice, far ahead into L2 and near into L1, as the fused loops do; the
                    // rows of E[x] are K floats from anywhere in a line.
                    FusedShapePass.PrefetchAhead(allOthers, j, chunkEnd, farLimit, table, factors, factors, startsInsideLines: true);
                    var e = table + (nint)allOthers[j] * factors;
                    var d = Vector512.Load(e + last) * tTail;
                    if (registers > 1) d = Vector512.FusedMultiplyAdd(Vector512.Load(e), t0, d);
                    if (registers > 2) d = Vector512.FusedMultiplyAdd(Vector512.Load(e + lanes), t1, d);
                    if (registers > 3) d = Vector512.FusedMultiplyAdd(Vector512.Load(e + 2 * lanes), t2, d);
                    normalisers[pending] = Lanes512.Sum(d);
                    weights[pending] = allCounts[j];
                    if (++pending == 8)
                    {
                        sum = Vector512.FusedMultiplyAdd(Vector512.Load(weights), Vector512.Log(Vector512.Load(normalisers) / scales), sum);
                        pending = 0;
                    }
                }
            }
            // The last few: log 1 = 0 with weight 0 in the lanes not filled.
            for (var j = pending; j < 8; j++)
            {
                normalisers[j] = scale;
                weights[j] = 0;
            }
            sum = Vector512.FusedMultiplyAdd(Vector512.Load(weights), Vector512.Log(Vector512.Load(normalisers) / scales), sum);
        }
        return Vector512.Sum(sum);
    }

    /// <summary>Mean over held-out nonzeros of (y log μ − μ − log y!); NaN for an empty set.</summary>
    public static double HeldOutMean(HeldOutSet set, ReadOnlySpan<float> userExpected, ReadOnlySpan<float> itemExpected, int factors, int members, int threads = 1) =>
        set.Count == 0 ? double.NaN : HeldOutSum(set, userExpected, itemExpected, factors, members, threads) / set.Count;

    /// <summary>
    /// Σ over held-out nonzeros of (y log μ − μ − log y!): a shard's part of the mean. In fixed blocks of nonzeros summed
    /// in block order, so the value does not depend on the thread count; each nonzero's user and item rows are asked for
    /// ahead of use, as the nonzero term's are, since at scale both tables are far larger than the caches (a validation
    /// set of 4.8M nonzeros against a 48M-shaped model took 0.54–0.91 s on one thread without, and 0.10–0.11 s so on two).
    /// </summary>
    /// <exception cref="ArgumentException">A nonzero's user or item lies outside the tables.</exception>
    public static unsafe double HeldOutSum(HeldOutSet set, ReadOnlySpan<float> userExpected, ReadOnlySpan<float> itemExpected, int factors, int members, int threads = 1)
    {
        if (set.Count == 0) return -set.SumLogFactorial;
        int userRows = userExpected.Length / factors, itemRows = itemExpected.Length / factors, count = set.Count;
        for (var n = 0; n < count; n++)
            if ((uint)set.Users[n] >= (uint)userRows || (uint)set.Items[n] >= (uint)itemRows)
                throw new ArgumentException($"held-out nonzero {n} names user row {set.Users[n]} and item row {set.Items[n]}, outside tables of {userRows} and {itemRows} rows");
        const int block = 4096;
        var blocks = (set.Count + block - 1) / block;
        var partial = new double[blocks];
        fixed (float* userTable = userExpected, itemTable = itemExpected)
        fixed (int* users = set.Users, items = set.Items)
        fixed (float* counts = set.Counts)
        {
            // Pointers for the blocks' threads; the tables stay fixed until Parallel.For returns.
            nint u = (nint)userTable, i = (nint)itemTable, us = (nint)users, its = (nint)items, ys = (nint)counts;
            var userFar = FusedShapePass.FarLimit(count, userExpected.Length);
            var itemFar = FusedShapePass.FarLimit(count, itemExpected.Length);
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, b =>
            {
                var end = Math.Min(count, (b + 1) * block);
                partial[b] = HeldOutBlock((int*)us, (int*)its, (float*)ys, b * block, end, Math.Min(end, userFar), Math.Min(end, itemFar),
                    (float*)u, (float*)i, factors, members);
            });
        }
        double sum = 0;
        foreach (var p in partial) sum += p;
        return sum - set.SumLogFactorial;
    }

    private static unsafe double HeldOutBlock(int* users, int* items, float* counts, int start, int end, int userFar, int itemFar,
        float* userTable, float* itemTable, int factors, double scale)
    {
        double sum = 0;
        for (var n = start; n < end; n++)
        {
            if (Sse.IsSupported)
            {
                FusedShapePass.PrefetchAhead(users, n, end, userFar, userTable, factors, factors, startsInsideLines: true);
                FusedShapePass.PrefetchAhead(items, n, end, itemFar, itemTable, factors, factors, startsInsideLines: true);
            }
            var mu = TensorPrimitives.Dot(new ReadOnlySpan<float>(userTable + (nint)users[n] * factors, factors),
                new ReadOnlySpan<float>(itemTable + (nint)items[n] * factors, factors)) / scale;
            sum += counts[n] * Math.Log(mu) - mu;
        }
        return sum;
    }
}
