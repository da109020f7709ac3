using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Data;

public class CountTransformsTests
{
    [Theory]
    [InlineData(CountTransform.None, 7f, 7f)]
    [InlineData(CountTransform.Log1p, 1f, 0.6931472f)]
    [InlineData(CountTransform.Log1p, 5000f, 8.517393f)]
    [InlineData(CountTransform.Log1p, 0.25f, 0.22314355f)]
    [InlineData(CountTransform.Binary, 5000f, 1f)]
    [InlineData(CountTransform.Binary, 0.5f, 1f)]
    public void EachCountIsMappedAsDocumented(CountTransform transform, float count, float expected) =>
        Assert.Equal(expected, CountTransforms.Apply(transform, count), 6);

    [Fact]
    public void DuplicateLinesAreSummedBeforeTheTransform()
    {
        var data = TripletFileReader.Read(new StringReader("a\tx\t3\na\tx\t4\nb\tx\t1\n"), "r.tsv");
        var logged = CountTransforms.Apply(CountTransform.Log1p, data);
        Assert.Equal((float)Math.Log(8.0), logged.ByUser.CountsOf(0)[0]);
        Assert.Equal(1f, CountTransforms.Apply(CountTransform.Binary, data).ByUser.CountsOf(0)[0]);
        Assert.Equal(data.ByUser.Other, logged.ByUser.Other);
        Assert.Same(data, CountTransforms.Apply(CountTransform.None, data));
    }

    [Fact]
    public void TheTrainerFitsTheTransformedCounts()
    {
        var data = TripletFileReader.Read(new StringReader(string.Concat(Enumerable.Range(0, 60).Select(n => $"u{n % 9}\ti{n % 7}\t{1 + n * n % 500}\n"))), "r.tsv");
        var options = new TrainingOptions { Factors = 2, Members = 1, MaxIterations = 3, Stop = StopRule.MaxIter, CheckEvery = 3, Threads = 1, Seed = 3 };
        var viaOption = new InProcessTrainer(options with { Transform = CountTransform.Log1p }).Train(data).Model;
        var byHand = new InProcessTrainer(options).Train(CountTransforms.Apply(CountTransform.Log1p, data)).Model;
        Assert.Equal(byHand.ItemShape, viaOption.ItemShape);
        Assert.Equal(byHand.UserRate, viaOption.UserRate);
    }
}
