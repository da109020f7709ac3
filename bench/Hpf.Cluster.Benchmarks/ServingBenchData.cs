using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The model the serving benchmarks query: a dataset sampled from the HPF model, 10k users × 104k items with about 1M
/// nonzeros (100,072 items have a count, so the model has about 100k items), trained briefly with K = 50 so that
/// the shards hold a real model. Sampled once per process; each benchmark case trains its own cluster on it.
/// </summary>
internal static class ServingBenchData
{
    public const string Job = "served";
    public const int Factors = 50;
    public const int Iterations = 3;

    private static readonly Lazy<(Dataset Data, byte[] Tsv)> Sampled = new(() =>
    {
        var data = SyntheticDataset.Generate(new SyntheticOptions { Users = 10_000, Items = 104_000, Factors = 10, Seed = 1, TargetNonzeros = 1_000_000 }).Data;
        var text = new MemoryStream();
        using (var writer = new StreamWriter(text, new UTF8Encoding(false), 1 << 16, leaveOpen: true)) data.WriteTsv(writer);
        return (data, text.ToArray());
    });

    public static Dataset Data => Sampled.Value.Data;

    /// <summary>The dataset as the TSV file a client would upload.</summary>
    public static byte[] Tsv => Sampled.Value.Tsv;

    /// <summary>One shard of each side per silo, one thread a shard, no checkpoints (only the final model is served).</summary>
    public static JobSpec Spec(int silos) => new()
    {
        Training = new TrainingOptions { Factors = Factors, MaxIterations = Iterations, Stop = StopRule.MaxIter, CheckEvery = Iterations, Seed = 1, Threads = 1 },
        UserShards = silos,
        ItemShards = silos,
        CheckpointEvery = 0,
    };

    /// <summary>The users asked for, in a fixed shuffled order, so that successive calls do not hit one user's cached rows.</summary>
    public static string[] Users()
    {
        var ids = (string[])Data.UserIds.Clone();
        new Random(7).Shuffle(ids);
        return ids;
    }
}
