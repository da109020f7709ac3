namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>What the shards hold once sealed: the sizes of the training data and how much of the validation set could be used.</summary>
[GenerateSerializer, Immutable, Alias("hpf.DataSummary")]
public sealed record DataSummary
{
    [Id(0)]
    public long Users { get; init; }
    [Id(1)]
    public long Items { get; init; }
    /// <summary>Distinct (user, item) pairs with a nonzero count, duplicates summed.</summary>
    [Id(2)]
    public long Nonzeros { get; init; }
    /// <summary>Triplets received (before duplicate pairs were summed).</summary>
    [Id(3)]
    public long Triplets { get; init; }
    [Id(4)]
    public long ValidationNonzeros { get; init; }
    /// <summary>Validation pairs whose user is not in the training data.</summary>
    [Id(5)]
    public long ValidationSkippedUnknownUser { get; init; }
    /// <summary>Validation pairs whose user is known but whose item is not.</summary>
    [Id(6)]
    public long ValidationSkippedUnknownItem { get; init; }
}
