namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A file that was read to its end without a bad line: what the reader saw, and how many triplets went to each
/// shard, which the seal checks against what the shards hold (a shard that lost its activation mid-upload is caught).
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.UploadSummary")]
public sealed record UploadSummary(DataSetKind Kind, string Source, string Format, long Lines, long DataLines, long Triplets, long ZeroCounts,
    bool HeaderSkipped, long[] UserShardTriplets, long[] ItemShardTriplets);

/// <summary>A file refused for bad lines: the first errors as <c>file:line: reason</c> and how many there were.</summary>
[GenerateSerializer, Immutable, Alias("hpf.UploadRefusal")]
public sealed record UploadRefusal(DataSetKind Kind, string Source, string[] Errors, long TotalErrors);
