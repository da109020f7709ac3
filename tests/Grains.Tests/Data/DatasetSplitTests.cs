using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

public class DatasetSplitTests
{
    private static Dataset Sample(ulong seed = 5) =>
        SyntheticDataset.Generate(new SyntheticOptions { Users = 200, Items = 150, Factors = 3, Seed = seed }).Data;

    private static Dictionary<(string User, string Item), float> Triplets(Dataset data)
    {
        var all = new Dictionary<(string, string), float>();
        for (var u = 0; u < data.Users; u++)
        {
            var items = data.ByUser.OthersOf(u);
            var counts = data.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++) all.Add((data.UserIds[u], data.ItemIds[items[n]]), counts[n]);
        }
        return all;
    }

    [Fact]
    public void TheSidesAreDisjointAndTogetherAreTheData()
    {
        var data = Sample();
        var split = DatasetSplit.ByFraction(data, 0.2, seed: 3);
        var train = Triplets(split.Train);
        var test = Triplets(split.Test);
        Assert.Equal((int)Math.Round(0.2 * data.Nonzeros, MidpointRounding.AwayFromZero), test.Count);
        Assert.Equal(data.Nonzeros, train.Count + test.Count);
        foreach (var (pair, count) in Triplets(data))
        {
            var inTrain = train.TryGetValue(pair, out var trainCount);
            var inTest = test.TryGetValue(pair, out var testCount);
            Assert.True(inTrain ^ inTest, $"{pair} must be on exactly one side");
            Assert.Equal(count, inTrain ? trainCount : testCount);
        }
        // Each side lists only the users and items it has nonzeros for.
        for (var u = 0; u < split.Test.Users; u++) Assert.True(split.Test.ByUser.Length(u) > 0);
        for (var i = 0; i < split.Test.Items; i++) Assert.True(split.Test.ByItem.Length(i) > 0);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSplit()
    {
        var data = Sample();
        var one = DatasetSplit.ByFraction(data, 0.25, seed: 8);
        var two = DatasetSplit.ByFraction(data, 0.25, seed: 8);
        Assert.Equal(Triplets(one.Test), Triplets(two.Test));
        Assert.Equal(Triplets(one.Train), Triplets(two.Train));
        var other = DatasetSplit.ByFraction(data, 0.25, seed: 9);
        Assert.NotEqual(Triplets(one.Test).Keys.Order(), Triplets(other.Test).Keys.Order());
    }

    [Fact]
    public void TheOrderOfTheInputLinesDoesNotMatter()
    {
        var data = Sample();
        var lines = Triplets(data).ToList();
        var shuffled = new DatasetBuilder();
        foreach (var ((user, item), count) in lines.OrderBy(t => t.Key.Item2, StringComparer.Ordinal).ThenByDescending(t => t.Key.Item1, StringComparer.Ordinal))
            shuffled.Add(user, item, count);
        var one = DatasetSplit.ByFraction(data, 0.3, seed: 1);
        var two = DatasetSplit.ByFraction(shuffled.Build(), 0.3, seed: 1);
        Assert.Equal(Triplets(one.Test), Triplets(two.Test));
    }

    [Fact]
    public void EveryNonzeroIsEquallyLikelyToBeHeldOut()
    {
        var builder = new DatasetBuilder();
        for (var n = 0; n < 40; n++) builder.Add($"u{n % 7}", $"i{n}", 1);
        var data = builder.Build();
        const int seeds = 2000;
        var heldOut = new Dictionary<string, int>();
        for (var seed = 0UL; seed < seeds; seed++)
        {
            var test = DatasetSplit.ByFraction(data, 0.25, seed).Test;
            foreach (var item in test.ItemIds) heldOut[item] = heldOut.GetValueOrDefault(item) + 1;
        }
        var sd = Math.Sqrt(seeds * 0.25 * 0.75);
        foreach (var item in data.ItemIds)
            Assert.InRange(heldOut.GetValueOrDefault(item), seeds * 0.25 - 5 * sd, seeds * 0.25 + 5 * sd);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(1e-7)]
    public void FractionsThatLeaveASideEmptyAreRefused(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.ByFraction(Sample(), fraction, 1));
        Assert.Equal("test-fraction", error.ParamName);
    }
}
