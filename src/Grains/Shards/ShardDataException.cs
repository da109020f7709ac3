namespace Hpf.Cluster.Grains.Shards;

/// <summary>The seal found the data unusable (duplicate pairs summing out of float32's range): the job is refused like a bad file.</summary>
[GenerateSerializer, Alias("hpf.ShardDataException")]
public sealed class ShardDataException(string message) : Exception(message);
