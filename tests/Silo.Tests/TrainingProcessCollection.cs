namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// The tests that train on several Hpf.Silo processes: one at a time (they share CI's two cores, and their timings
/// mean something only when they do not compete), with the sampled job made once for all of them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TrainingProcessCollection : ICollectionFixture<SampledJob>
{
    public const string Name = "training on silo processes";
}
