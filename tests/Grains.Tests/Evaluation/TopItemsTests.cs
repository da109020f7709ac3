using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Grains.Tests.Evaluation;

public class TopItemsTests
{
    private static int[] Best(float[] scores, int k)
    {
        var top = new TopItems(k);
        for (var i = 0; i < scores.Length; i++)
            if (scores[i] > top.Threshold) top.Offer(scores[i], i);
        var ranked = new int[k];
        return ranked[..top.Drain(ranked)];
    }

    [Fact]
    public void KeepsTheBestInOrderWithTiesToTheLowerIndex()
    {
        Assert.Equal([4, 1, 2], Best([0.5f, 3f, 3f, 1f, 9f, 3f], 3));
        Assert.Equal([1, 2, 5, 3], Best([0.5f, 3f, 3f, 1f, float.NegativeInfinity, 3f], 6)[..4]);
    }

    [Fact]
    public void ExcludedItemsNeverEnterEvenWhenThereIsRoom()
    {
        Assert.Equal([2, 0], Best([1f, float.NegativeInfinity, 5f, float.NegativeInfinity], 4));
    }

    [Fact]
    public void MatchesASortOnRandomScores()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 200; trial++)
        {
            var scores = new float[random.Next(1, 300)];
            for (var i = 0; i < scores.Length; i++) scores[i] = random.Next(0, 20) / 4f;   // many ties
            var k = random.Next(1, 30);
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            Assert.Equal(expected, Best(scores, k));
        }
    }
}
