namespace Hpf.Cluster.Grains.Data;

/// <summary>What a reader saw in one file: the format it used (Auto resolved), and how its lines were spent.</summary>
public sealed record TripletFileSummary(
    string File,
    DatasetFormat Format,
    long Lines,
    long DataLines,
    long ZeroCounts,
    bool HeaderSkipped);
