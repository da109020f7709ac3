namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>
/// Store tests run alone, after the parallel tests: the large-state tests measure the process's allocations, which
/// other tests running alongside would inflate.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CheckpointStoreCollection
{
    public const string Name = "Checkpoint stores";
}

/// <summary>One Azurite for every Azure test, which also run alone for the same reason as <see cref="CheckpointStoreCollection"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteServer>
{
    public const string Name = "Azurite";
}
