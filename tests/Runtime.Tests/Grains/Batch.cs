namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>A message shaped like the ones training sends: arrays of primitives and a list of records.</summary>
public sealed record Batch(string Name, int[] Indices, float[] Values, double[]? Weights, List<Pair> Pairs, BatchKind Kind, long? Iteration);

public sealed record Pair(long Item, double Score);

public enum BatchKind
{
    Users = 1,
    Items = 2,
}
