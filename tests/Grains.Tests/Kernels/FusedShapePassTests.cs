using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Tests.Engine;
using MathNetSpecial = MathNet.Numerics.SpecialFunctions;

namespace Hpf.Cluster.Grains.Tests.Kernels;

public class FusedShapePassTests
{
    public static TheoryData<SimdWidth> Widths() => new() { SimdWidth.Scalar, SimdWidth.Bits256, SimdWidth.Bits512 };

    public static TheoryData<SimdWidth, int> WidthsAndMembers() => new()
    {
        { SimdWidth.Scalar, 1 }, { SimdWidth.Bits256, 1 }, { SimdWidth.Bits512, 1 },
        { SimdWidth.Scalar, 2 }, { SimdWidth.Bits256, 2 }, { SimdWidth.Bits512, 2 },
    };

    /// <summary>
    /// Every width with K giving 1, 2, 3 and 4 AVX-512 registers a row (the register path) and 5 (the general loop),
    /// as one member and as an ensemble of 2 or 3 members of unequal sizes (7 = 4 + 3, 50 = 17 + 17 + 16, …).
    /// </summary>
    public static TheoryData<SimdWidth, int, int> WidthsFactorsAndMembers()
    {
        var data = new TheoryData<SimdWidth, int, int>();
        foreach (var width in new[] { SimdWidth.Scalar, SimdWidth.Bits256, SimdWidth.Bits512 })
        {
            foreach (var factors in new[] { 7, 20, 40, 50, 70 })
                data.Add(width, factors, 1);
            foreach (var (factors, members) in new[] { (7, 2), (50, 2), (50, 3), (70, 2), (140, 2), (75, 3), (100, 4), (40, 4) })
                data.Add(width, factors, members);
        }
        return data;
    }

    /// <summary>
    /// The two-member loop takes both members' normalisers in one register; each must be bit for bit the sum
    /// <see cref="Lanes512.Sum"/> gives (the sum NeedsExactPath takes), or a nonzero near the underflow threshold could
    /// go down both paths or neither. Lanes of very different sizes make any other order of additions round differently.
    /// </summary>
    [Fact]
    public void PairedMemberSumsMatchTheSingleSumBitForBit()
    {
        var random = new Random(5);
        for (var trial = 0; trial < 2000; trial++)
        {
            var a = System.Runtime.Intrinsics.Vector512.Create(Lanes(random));
            var b = System.Runtime.Intrinsics.Vector512.Create(Lanes(random));
            var paired = Lanes512.SumPairOfHalves(a, b);
            for (var lane = 0; lane < 8; lane++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(Lanes512.Sum(a)), BitConverter.SingleToInt32Bits(paired[lane]));
                Assert.Equal(BitConverter.SingleToInt32Bits(Lanes512.Sum(b)), BitConverter.SingleToInt32Bits(paired[8 + lane]));
            }
        }

        static float[] Lanes(Random random)
        {
            var lanes = new float[16];
            for (var j = 0; j < 16; j++) lanes[j] = (float)(random.NextDouble() * Math.Pow(10, random.Next(-8, 9)));
            return lanes;
        }
    }

    /// <summary>
    /// The loop that serves 3 or 4 members in one pass gives bit for bit what one pass per member gives: sums, and
    /// which (nonzero, member) pairs go to the exact path. Member 1's weights are tiny and a third of the counterpart
    /// rows tiny in member 1 too, so that member leaves nonzeros out and its flushes fall at other nonzeros than the
    /// others'; 300 nonzeros flush several times.
    /// </summary>
    [Theory]
    [InlineData(100, 4)]
    [InlineData(75, 3)]
    [InlineData(50, 3)]
    [InlineData(40, 4)]
    [InlineData(6, 3)]
    public void MembersInOnePassMatchOnePassPerMemberBitForBit(int factors, int count)
    {
        var members = new FactorMembers(factors, count, SimdWidth.Bits512);
        Assert.True(FusedShapePass.ServesMembers512(members));
        var stride = members.Stride;
        var random = new Random(factors * 10 + count);
        const int rows = 97;
        const int nonzeros = 300;
        var table = new CacheLineAlignedFloats(rows * stride);
        var w = new float[stride];
        for (var m = 0; m < count; m++)
        {
            for (var f = 0; f < members.FactorCount(m); f++)
            {
                w[members.WeightStart(m) + f] = (float)Math.Exp(-3 * random.NextDouble()) * (m == 1 ? 1e-20f : 1f);
                for (var r = 0; r < rows; r++)
                    table.Span[r * stride + members.WeightStart(m) + f] = (float)Math.Exp(-3 * random.NextDouble()) * (m == 1 && r % 3 == 0 ? 1e-15f : 1f);
            }
        }
        var others = new int[nonzeros];
        var counts = new float[nonzeros];
        for (var j = 0; j < nonzeros; j++)
        {
            others[j] = random.Next(rows);
            counts[j] = 1 + random.Next(20);
        }

        var fused = new double[stride];
        var fusedSkipped = FusedShapePass.AccumulateMembers512(others, counts, w, table.Span, members, fused);

        var apart = new double[stride];
        var apartSkipped = 0;
        var scratch = new float[stride];
        for (var m = 0; m < count; m++)
        {
            apartSkipped += FusedShapePass.Accumulate(others, counts, members.WeightsOf(w.AsSpan(), m), table.Span, stride,
                members.WeightStart(m), members.WeightStride(m), members.WeightsOf(apart.AsSpan(), m), scratch, SimdWidth.Bits512);
        }
        Assert.InRange(apartSkipped, 1, nonzeros - 1);
        Assert.Equal(apartSkipped, fusedSkipped);
        for (var k = 0; k < stride; k++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(apart[k]), BitConverter.DoubleToInt64Bits(fused[k]));
    }

    /// <summary>
    /// The row update hands each loop the next rows' first counterparts after the row's own, to be asked for ahead of use:
    /// they must change nothing. Every AVX-512 loop (one member of 1–4 registers, two members, three), every width of the
    /// general one, with and without them, bit for bit.
    /// </summary>
    [Theory]
    [InlineData(16, 1)]
    [InlineData(50, 1)]
    [InlineData(70, 1)]
    [InlineData(50, 2)]
    [InlineData(75, 3)]
    public void CounterpartsAfterTheRowAreOnlyAskedFor(int factors, int count)
    {
        var members = new FactorMembers(factors, count, SimdWidth.Bits512);
        var stride = members.Stride;
        var random = new Random(factors + count);
        // Over 1 MB of rows, so that the loops also make their requests into L2 (a smaller table gets only the near one).
        const int rows = 5000;
        var table = new CacheLineAlignedFloats(rows * stride);
        for (var j = 0; j < rows * stride; j++) table.Span[j] = (float)Math.Exp(-3 * random.NextDouble());
        var w = new float[stride];
        for (var j = 0; j < stride; j++) w[j] = (float)Math.Exp(-3 * random.NextDouble());
        // 20 of the row's nonzeros, then 8 of the next row's.
        var following = Enumerable.Range(0, 28).Select(_ => random.Next(rows)).ToArray();
        var own = following[..20];
        var counts = Enumerable.Range(0, 20).Select(_ => (float)(1 + random.Next(9))).ToArray();

        foreach (var width in new[] { SimdWidth.Scalar, SimdWidth.Bits256, SimdWidth.Bits512 })
        {
            if (count > 1 && width != SimdWidth.Bits512) continue;
            var alone = Run(own, width);
            var withNext = Run(following, width);
            Assert.Equal(alone.Skipped, withNext.Skipped);
            for (var k = 0; k < stride; k++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(alone.Sums[k]), BitConverter.DoubleToInt64Bits(withNext.Sums[k]));
        }

        (double[] Sums, int Skipped) Run(int[] others, SimdWidth width)
        {
            var sums = new double[stride];
            var skipped = count switch
            {
                1 => FusedShapePass.Accumulate(others, counts, w, table.Span, stride, sums, new float[stride], width),
                2 => FusedShapePass.AccumulateTwoMembers512(others, counts, w, table.Span, stride, members.WeightStride(0), sums),
                _ => FusedShapePass.AccumulateMembers512(others, counts, w, table.Span, members, sums),
            };
            return (sums, skipped);
        }
    }

    /// <summary>
    /// One user half-step of the engine (fused loop, rates, activities) against the update written out
    /// naively in float64 from HPF-MATH.md: φ normalised with the max subtracted, then the sums; with several
    /// members, each member's φ normalised over its own factors and each member's activity its own.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsFactorsAndMembers))]
    public void UserHalfStepMatchesNaiveFloat64Update(SimdWidth width, int factors, int members)
    {
        var sample = ModelSamples.Draw(users: 40, items: 30, factors: 4, seed: 11);
        var options = new TrainingOptions { Factors = factors, Members = members, Seed = 4, Threads = 2 };
        var state = new ModelState(sample.Data, options, width);
        var expected = NaiveUserHalfStep(state);

        new FullBatchSchedule(state, threads: 2).RunUserHalfStep(1, CancellationToken.None);

        for (var j = 0; j < expected.Shape.Length; j++)
        {
            Assert.Equal(expected.Shape[j], state.Users.Shape[j], 5e-6 * expected.Shape[j]);
            Assert.Equal(expected.Rate[j], state.Users.Rate[j], 5e-6 * expected.Rate[j]);
        }
        for (var u = 0; u < expected.Activity.Length; u++)
            Assert.Equal(expected.Activity[u], state.Users.ActivityRate[u], 5e-6 * expected.Activity[u]);
        var columnSums = new double[factors];
        for (var j = 0; j < expected.Shape.Length; j++) columnSums[j % factors] += expected.Shape[j] / expected.Rate[j];
        for (var k = 0; k < factors; k++) Assert.Equal(columnSums[k], state.Users.ColumnSum[k], 1e-5 * columnSums[k]);
    }

    /// <summary>Rows whose exp(E[log]) products underflow float32 go down the exact path and give the same update.</summary>
    [Theory]
    [MemberData(nameof(WidthsAndMembers))]
    public void UnderflowingNonzerosTakeTheExactPath(SimdWidth width, int members)
    {
        var sample = ModelSamples.Draw(users: 12, items: 10, factors: 5, seed: 2);
        var options = new TrainingOptions { Factors = 5, Members = members, Threads = 1 };
        var state = new ModelState(sample.Data, options, width);
        // Opposite corners of every member: user 0 is strong only in a member's first factor, every item only in its
        // last, each by about e^95, so every product of the shifted exponentials is about e^-95: below float32's normal range.
        var users = state.Users;
        var items = state.Items;
        var layout = users.Members;
        bool FirstOfMember(int k) => Enumerable.Range(0, members).Any(m => layout.FactorStart(m) == k);
        bool LastOfMember(int k) => Enumerable.Range(0, members).Any(m => layout.FactorStart(m) + layout.FactorCount(m) - 1 == k);
        for (var k = 0; k < 5; k++)
        {
            users.Shape[k] = FirstOfMember(k) ? 1e6f : 1f;
            users.Rate[k] = FirstOfMember(k) ? 1f : 1e35f;
        }
        for (var i = 0; i < items.RowCount; i++)
        {
            for (var k = 0; k < 5; k++)
            {
                items.Shape[i * 5 + k] = LastOfMember(k) ? 1e6f : 1f;
                items.Rate[i * 5 + k] = LastOfMember(k) ? 1f : 1e35f;
            }
        }
        var scratch = new RowScratch(5, users.Stride);
        users.RefreshDerived(0, scratch, updateActivity: false);
        for (var i = 0; i < items.RowCount; i++) items.RefreshDerived(i, scratch, updateActivity: false);
        var w = users.ExpElog.Slice(0, users.Stride);
        for (var m = 0; m < members; m++)
            Assert.True(FusedShapePass.NeedsExactPath(layout.WeightsOf(w, m), layout.WeightsOf(items.ExpElog.Slice(0, users.Stride), m), layout.WeightStride(m), users.Width));

        var expected = NaiveUserHalfStep(state);
        new FullBatchSchedule(state, threads: 1).RunUserHalfStep(1, CancellationToken.None);
        for (var k = 0; k < 5; k++)
            Assert.Equal(expected.Shape[k], users.Shape[k], 1e-5 * expected.Shape[k]);
    }

    private sealed record NaiveResult(double[] Shape, double[] Rate, double[] Activity);

    private static NaiveResult NaiveUserHalfStep(ModelState state)
    {
        var p = state.Options.Priors;
        var users = state.Users;
        var items = state.Items;
        var k = users.K;
        var members = state.Options.Members;
        // Member m's factors: the first K mod M members one more than K / M, in order.
        var size = Enumerable.Range(0, members).Select(m => k / members + (m < k % members ? 1 : 0)).ToArray();
        var start = new int[members];
        for (var m = 1; m < members; m++) start[m] = start[m - 1] + size[m - 1];
        var shape = new double[users.Shape.Length];
        var rate = new double[users.Rate.Length];
        var activity = new double[users.RowCount * members];
        var itemSums = new double[k];
        for (var j = 0; j < items.Shape.Length; j++) itemSums[j % k] += (double)items.Shape[j] / items.Rate[j];
        for (var u = 0; u < users.RowCount; u++)
        {
            var sums = new double[k];
            var others = state.Data.ByUser.OthersOf(u);
            var counts = state.Data.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                var i = others[n];
                for (var m = 0; m < members; m++)
                {
                    var logits = new double[size[m]];
                    for (var j = 0; j < size[m]; j++)
                    {
                        var f = start[m] + j;
                        logits[j] = MathNetSpecial.DiGamma(users.Shape[u * k + f]) - Math.Log(users.Rate[u * k + f])
                            + MathNetSpecial.DiGamma(items.Shape[i * k + f]) - Math.Log(items.Rate[i * k + f]);
                    }
                    var max = logits.Max();
                    var total = logits.Sum(l => Math.Exp(l - max));
                    for (var j = 0; j < size[m]; j++) sums[start[m] + j] += counts[n] * Math.Exp(logits[j] - max) / total;
                }
            }
            for (var m = 0; m < members; m++)
            {
                var kappaShape = p.APrime + size[m] * p.A;
                var expectedActivity = kappaShape / users.ActivityRate[u * members + m];
                double expectedSum = 0;
                for (var j = 0; j < size[m]; j++)
                {
                    var f = start[m] + j;
                    shape[u * k + f] = p.A + sums[f];
                    rate[u * k + f] = expectedActivity + itemSums[f];
                    expectedSum += shape[u * k + f] / rate[u * k + f];
                }
                activity[u * members + m] = p.APrime / p.BPrime + expectedSum;
            }
        }
        return new NaiveResult(shape, rate, activity);
    }
}
