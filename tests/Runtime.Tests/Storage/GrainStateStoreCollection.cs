namespace Hpf.Cluster.Runtime.Tests.Storage;

/// <summary>
/// Store tests run alone, after the parallel tests: the large-state tests measure the process's allocations,
/// which other tests running alongside would inflate.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GrainStateStoreCollection
{
    public const string Name = "Grain state stores";
}
