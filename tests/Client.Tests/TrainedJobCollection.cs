namespace Hpf.Cluster.Client.Tests;

/// <summary>The test classes that read the sampled job share one training run.</summary>
[CollectionDefinition(Name)]
public sealed class TrainedJobCollection : ICollectionFixture<TrainedJob>
{
    public const string Name = "trained job";
}
