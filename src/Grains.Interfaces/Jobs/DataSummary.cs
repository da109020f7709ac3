namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>What the shards hold once sealed: the sizes of the training data and how much of the validation set could be used.</summary>
public sealed record DataSummary
{
    public long Users { get; init; }
    public long Items { get; init; }
    /// <summary>Distinct (user, item) pairs with a nonzero count, duplicates summed.</summary>
    public long Nonzeros { get; init; }
    /// <summary>Triplets received (before duplicate pairs were summed).</summary>
    public long Triplets { get; init; }
    public long ValidationNonzeros { get; init; }
    /// <summary>Validation pairs whose user is not in the training data.</summary>
    public long ValidationSkippedUnknownUser { get; init; }
    /// <summary>Validation pairs whose user is known but whose item is not.</summary>
    public long ValidationSkippedUnknownItem { get; init; }
}
