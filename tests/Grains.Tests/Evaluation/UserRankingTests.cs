using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Evaluation;

public sealed class UserRankingTests
{
    /// <summary>One user, K = 1, E[θ] = 1; item i has E[β] = its score.</summary>
    private static HpfModel ModelWithScores(params float[] scores)
    {
        var items = scores.Select((_, i) => $"i{i}").ToArray();
        return new HpfModel(
            new TrainingOptions { Factors = 1, Members = 1 }, ["u"], items,
            [1f], [1f], [1f],
            scores, Enumerable.Repeat(1f, scores.Length).ToArray(), Enumerable.Repeat(1f, scores.Length).ToArray());
    }

    [Fact]
    public void TheBestItemsComeFirst()
    {
        var ranked = new UserRanking(ModelWithScores(0.5f, 3f, 1f, 2f)).Top(0, 3, []);
        Assert.Equal([1, 3, 2], ranked.Select(r => r.Item));
        Assert.Equal([3f, 2f, 1f], ranked.Select(r => r.Score));
    }

    [Fact]
    public void ExcludedItemsAreSkipped()
    {
        var ranked = new UserRanking(ModelWithScores(0.5f, 3f, 1f, 2f)).Top(0, 2, [1, 3]);
        Assert.Equal([2, 0], ranked.Select(r => r.Item));
    }

    [Fact]
    public void TiesKeepItemOrder()
    {
        var ranked = new UserRanking(ModelWithScores(1f, 2f, 1f, 1f, 2f)).Top(0, 4, []);
        Assert.Equal([1, 4, 0, 2], ranked.Select(r => r.Item));
    }

    [Fact]
    public void AskingForMoreThanThereIsGivesEverything()
    {
        Assert.Equal(2, new UserRanking(ModelWithScores(1f, 2f)).Top(0, 10, []).Count);
    }

    [Fact]
    public void ExcludingEveryItemGivesNothing()
    {
        Assert.Empty(new UserRanking(ModelWithScores(1f, 2f)).Top(0, 5, [0, 1]));
    }
}
