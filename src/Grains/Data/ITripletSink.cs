namespace Hpf.Cluster.Grains.Data;

/// <summary>Where a reader puts the (user, item, count) triplets it parsed: a dataset being built, or the shards of a job.</summary>
public interface ITripletSink
{
    /// <summary>A checked triplet: ids non-empty, count finite, &gt; 0 (any value when reading ratings) and within float32's range.</summary>
    void Add(string user, string item, double count);
}
