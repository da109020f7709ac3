namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>One worker's buffers for ranking a group of users against one tile of items at a time.</summary>
internal sealed class RankingScratch
{
    public RankingScratch(int groupSize, int tileSize, int factors, int k)
    {
        Scores = new float[groupSize * tileSize];
        Theta = new float[groupSize * factors];
        SeenCursor = new int[groupSize];
        Top = new TopItems[groupSize];
        for (var g = 0; g < groupSize; g++) Top[g] = new TopItems(k);
        Ranked = new int[k];
    }

    /// <summary>[group × tile] scores of the current tile.</summary>
    public float[] Scores { get; }
    /// <summary>[group × K] E[θ] of the group's users.</summary>
    public float[] Theta { get; }
    /// <summary>Per user, how far its sorted list of training items has been walked.</summary>
    public int[] SeenCursor { get; }
    public TopItems[] Top { get; }
    public int[] Ranked { get; }
}
