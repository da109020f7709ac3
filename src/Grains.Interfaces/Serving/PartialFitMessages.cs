namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// New users' counts for a further SVI pass over a finished job: (user, item, count) triplets, cut into mini-batches of
/// <paramref name="UsersPerBatch"/> users (null: the job's own SVI batch size, or all of them at once).
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.PartialFitRequest")]
public sealed record PartialFitRequest(string[] Users, string[] Items, float[] Counts, int? UsersPerBatch);

/// <summary>What a partial fit did: users folded in and stored, batches, the SVI clock before and after, items the model lacks.</summary>
[GenerateSerializer, Immutable, Alias("hpf.PartialFitResult")]
public sealed record PartialFitResult(string Job, int Users, int NewUsers, int Batches, long StepFrom, long StepTo, int ItemsUpdated,
    string[] UnknownItems, double Seconds);
