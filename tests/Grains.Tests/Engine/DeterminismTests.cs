using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine;

public class DeterminismTests
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 120, items: 90, factors: 4, seed: 21);

    public static TheoryData<int?, int?> Schedules() => new() { { null, null }, { 25, null }, { null, 20 }, { 30, 15 } };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void SameSeedGivesTheSameModelWhateverTheThreadCount(int? usersPerBatch, int? itemsPerBatch)
    {
        var one = Train(Sample.Data, threads: 1, usersPerBatch, itemsPerBatch);
        var two = Train(Sample.Data, threads: 2, usersPerBatch, itemsPerBatch);
        var eight = Train(Sample.Data, threads: 8, usersPerBatch, itemsPerBatch);
        ModelAssert.Identical(one, two);
        ModelAssert.Identical(one, eight);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void SameSeedGivesTheSameModelWhateverTheRowOrder(int? usersPerBatch, int? itemsPerBatch)
    {
        var shuffled = Sample.Triplets.OrderBy(_ => Guid.NewGuid()).ToList();
        var reordered = ModelSamples.Build(shuffled);
        ModelAssert.Identical(Train(Sample.Data, 2, usersPerBatch, itemsPerBatch), Train(reordered, 2, usersPerBatch, itemsPerBatch));
    }

    [Fact]
    public void ADifferentSeedGivesADifferentModel()
    {
        var a = new InProcessTrainer(new TrainingOptions { Factors = 5, MaxIterations = 5, Stop = StopRule.MaxIter, Seed = 1 }).Train(Sample.Data).Model;
        var b = new InProcessTrainer(new TrainingOptions { Factors = 5, MaxIterations = 5, Stop = StopRule.MaxIter, Seed = 2 }).Train(Sample.Data).Model;
        Assert.NotEqual(a.UserShape, b.UserShape);
    }

    private static HpfModel Train(Hpf.Cluster.Grains.Data.Dataset data, int threads, int? usersPerBatch, int? itemsPerBatch) =>
        new InProcessTrainer(new TrainingOptions
        {
            Factors = 5, MaxIterations = 12, Stop = StopRule.MaxIter, Seed = 9, Threads = threads,
            UsersPerBatch = usersPerBatch, ItemsPerBatch = itemsPerBatch,
        }).Train(data).Model;
}
