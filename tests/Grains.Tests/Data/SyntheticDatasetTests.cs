using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

public class SyntheticDatasetTests
{
    private static readonly SyntheticOptions Small = new() { Users = 300, Items = 200, Factors = 4, Seed = 17 };

    [Fact]
    public void TheSameSeedGivesTheSameDataWhateverTheThreadCount()
    {
        var one = SyntheticDataset.Generate(Small with { Threads = 1 });
        var two = SyntheticDataset.Generate(Small with { Threads = 2 });
        var three = SyntheticDataset.Generate(Small with { Threads = 5 });
        foreach (var other in new[] { two, three })
        {
            Assert.Equal(one.Data.UserIds, other.Data.UserIds);
            Assert.Equal(one.Data.ItemIds, other.Data.ItemIds);
            Assert.Equal(one.Data.ByUser.RowStart, other.Data.ByUser.RowStart);
            Assert.Equal(one.Data.ByUser.Other, other.Data.ByUser.Other);
            Assert.Equal(one.Data.ByUser.Counts, other.Data.ByUser.Counts);
            Assert.Equal(one.Theta, other.Theta);
            Assert.Equal(one.Beta, other.Beta);
        }
        var reseeded = SyntheticDataset.Generate(Small with { Seed = 18 });
        Assert.NotEqual(one.Theta, reseeded.Theta);
        Assert.NotEqual(one.Data.Nonzeros, reseeded.Data.Nonzeros);
    }

    [Fact]
    public void ExpectedTotalIsTheSumOfEveryPairsMean()
    {
        var sample = SyntheticDataset.Generate(Small);
        double dense = 0;
        for (var u = 0; u < Small.Users; u++)
            for (var i = 0; i < Small.Items; i++) dense += sample.TrueMean(u, i);
        Assert.Equal(dense, sample.ExpectedTotalCount, dense * 1e-12);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void TheTotalCountMatchesTheModelsExpectation(ulong seed)
    {
        // Given θ and β, Σ_ui y_ui is Poisson with mean Σ_u Σ_i θ_u·β_i: its standard deviation is the root of the mean.
        var sample = SyntheticDataset.Generate(Small with { Seed = seed });
        var expected = sample.ExpectedTotalCount;
        Assert.True(Math.Abs(sample.Data.TotalCount - expected) < 4 * Math.Sqrt(expected),
            $"total count {sample.Data.TotalCount}, expected {expected} ± {Math.Sqrt(expected)}");
    }

    [Fact]
    public void NonzerosAndPerRowTotalsFollowThePerPairPoissons()
    {
        var options = Small with { Users = 400, Items = 300, Seed = 99 };
        var sample = SyntheticDataset.Generate(options);
        var data = sample.Data;

        // Number of nonzeros: a sum of Bernoullis with p = 1 − exp(−μ_ui).
        double expectedNonzeros = 0, variance = 0;
        var userMean = new double[options.Users];
        var itemMean = new double[options.Items];
        for (var u = 0; u < options.Users; u++)
        {
            for (var i = 0; i < options.Items; i++)
            {
                var mu = sample.TrueMean(u, i);
                var p = -double.ExpM1(-mu);
                expectedNonzeros += p;
                variance += p * (1 - p);
                userMean[u] += mu;
                itemMean[i] += mu;
            }
        }
        Assert.True(Math.Abs(data.Nonzeros - expectedNonzeros) < 5 * Math.Sqrt(variance),
            $"{data.Nonzeros} nonzeros, expected {expectedNonzeros} ± {Math.Sqrt(variance)}");

        // Each user's and each item's total is Poisson with the summed mean: a χ² over the rows checks how the
        // counts were spread over items (the alias tables) as well as how many there were.
        var userTotal = new double[options.Users];
        var itemTotal = new double[options.Items];
        for (var u = 0; u < data.Users; u++)
        {
            var user = int.Parse(data.UserIds[u].AsSpan(1));
            var items = data.ByUser.OthersOf(u);
            var counts = data.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++)
            {
                userTotal[user] += counts[n];
                itemTotal[int.Parse(data.ItemIds[items[n]].AsSpan(1))] += counts[n];
            }
        }
        AssertPoissonChiSquare(userTotal, userMean, "users");
        AssertPoissonChiSquare(itemTotal, itemMean, "items");
    }

    [Fact]
    public void ActivitiesAndPopularitiesHaveTheirPriorMeans()
    {
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 20_000, Items = 20_000, Factors = 2, BPrime = 2.0, DPrime = 0.5, Scale = 1e-6 });
        // ξ ~ Gamma(a', a'/b') has mean b' and variance b'²/a'.
        Assert.Equal(2.0, sample.Activity.Average() * sample.Scale, 5 * 2.0 / Math.Sqrt(3 * 20_000));
        Assert.Equal(0.5, sample.Popularity.Average(), 5 * 0.5 / Math.Sqrt(3 * 20_000));
        // E[θ] = a·E[1/ξ] = a·(a'/b')/(a' − 1).
        var expectedTheta = 0.3 * (3 / 2.0) / 2 * 1e-6;
        Assert.Equal(expectedTheta, sample.Theta.Average(), expectedTheta * 0.05);
    }

    [Fact]
    public void ScaleMultipliesTheUserFactorsOnly()
    {
        var plain = SyntheticDataset.Generate(Small);
        var doubled = SyntheticDataset.Generate(Small with { Scale = 2 });
        for (var j = 0; j < plain.Theta.Length; j++) Assert.Equal(2 * plain.Theta[j], doubled.Theta[j]);
        Assert.Equal(plain.Beta, doubled.Beta);
        Assert.Equal(2 * plain.ExpectedTotalCount, doubled.ExpectedTotalCount, 1e-9 * plain.ExpectedTotalCount);
    }

    [Theory]
    [InlineData(30_000L)]
    [InlineData(400_000L)]
    public void TargetNonzerosIsReachedApproximately(long target)
    {
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 3000, Items = 2000, Factors = 5, Seed = 4, TargetNonzeros = target });
        Assert.InRange(sample.Data.Nonzeros, 0.9 * target, 1.1 * target);
    }

    [Fact]
    public void WrittenTsvReadsBackAsTheSameDataset()
    {
        var sample = SyntheticDataset.Generate(Small);
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "synthetic.tsv");
        sample.WriteTsv(path);
        var read = TripletFileReader.Read(path);
        Assert.Equal(sample.Data.UserIds, read.UserIds);
        Assert.Equal(sample.Data.ItemIds, read.ItemIds);
        Assert.Equal(sample.Data.ByUser.RowStart, read.ByUser.RowStart);
        Assert.Equal(sample.Data.ByUser.Other, read.ByUser.Other);
        Assert.Equal(sample.Data.ByUser.Counts, read.ByUser.Counts);

        var text = new StringWriter();
        sample.WriteTsv(text);
        var first = text.ToString().Split('\n')[0].Split('\t');
        Assert.Equal(3, first.Length);
        Assert.StartsWith("u", first[0]);
        Assert.StartsWith("i", first[1]);
        Assert.True(int.TryParse(first[2], out _));
    }

    [Fact]
    public void TheTrueModelCarriesTheTrueFactors()
    {
        var sample = SyntheticDataset.Generate(Small);
        var model = sample.ToTrueModel();
        Assert.Equal(Small.Users, model.Users);
        Assert.Equal(Small.Items, model.Items);
        var theta = new float[Small.Factors];
        model.UserFactors(model.IndexOfUser("u42"), theta);
        for (var k = 0; k < Small.Factors; k++) Assert.Equal((float)sample.Theta[42 * Small.Factors + k], theta[k]);
        Assert.Equal(sample.TrueMean(42, 7), model.Predict(model.IndexOfUser("u42"), model.IndexOfItem("i7")), 1e-6 * sample.TrueMean(42, 7));
    }

    [Fact]
    public void DatasetHoldsOnlyRowsThatDrewACount()
    {
        var sample = SyntheticDataset.Generate(Small with { Scale = 0.05 });
        Assert.True(sample.Data.Users < Small.Users);
        for (var u = 0; u < sample.Data.Users; u++) Assert.True(sample.Data.ByUser.Length(u) > 0);
        for (var i = 0; i < sample.Data.Items; i++) Assert.True(sample.Data.ByItem.Length(i) > 0);
    }

    [Theory]
    [InlineData("users")]
    [InlineData("items")]
    [InlineData("factors")]
    [InlineData("scale")]
    [InlineData("target-nonzeros")]
    [InlineData("a-prime")]
    public void BadOptionsAreRefusedByName(string option)
    {
        var bad = option switch
        {
            "users" => Small with { Users = 0 },
            "items" => Small with { Items = -1 },
            "factors" => Small with { Factors = 0 },
            "scale" => Small with { Scale = double.NaN },
            "target-nonzeros" => Small with { TargetNonzeros = (long)Small.Users * Small.Items },
            _ => Small with { APrime = 0 },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticDataset.Generate(bad));
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public void ADrawWithNoCountsIsAnError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SyntheticDataset.Generate(new SyntheticOptions { Users = 2, Items = 2, Scale = 1e-12 }));
        Assert.Contains("no nonzero counts", error.Message);
    }

    private static void AssertPoissonChiSquare(double[] observed, double[] mean, string rows)
    {
        double chi2 = 0;
        var df = 0;
        for (var j = 0; j < observed.Length; j++)
        {
            if (mean[j] < 5) continue;
            chi2 += (observed[j] - mean[j]) * (observed[j] - mean[j]) / mean[j];
            df++;
        }
        Assert.True(df > 20, $"too few {rows} with a mean of 5 or more to test ({df})");
        Assert.True(Math.Abs(chi2 - df) < 6 * Math.Sqrt(2.0 * df), $"χ² of the {rows}' totals = {chi2} on {df} degrees of freedom");
    }
}
