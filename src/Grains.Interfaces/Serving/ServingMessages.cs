namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A user as its shard serves it: E[θ_u] of the model being served, and the items the user has seen, as local
/// indices at each item shard (what a top-N leaves out unless asked).
/// </summary>
/// <param name="Added">The user was folded in and stored with add-user rather than trained.</param>
[GenerateSerializer, Immutable, Alias("hpf.ServedUser")]
public sealed record ServedUser(string User, float[] Theta, int[][] SeenByItemShard, bool Added);

/// <summary>
/// An item shard's best <paramref name="Count"/> items for E[θ_u] (score E[θ_u]·E[β_i]), leaving out the local indices in
/// <paramref name="Exclude"/>, and, when <paramref name="Pool"/> is given, only among those item ids.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.TopItemsRequest")]
public sealed record TopItemsRequest(float[] Theta, int Count, int[] Exclude, string[]? Pool);

/// <summary>Items best first with their scores; equal scores in ordinal id order.</summary>
[GenerateSerializer, Immutable, Alias("hpf.RankedItems")]
public sealed record RankedItems(string[] Items, ArrayPayload<float> Scores);

/// <summary>
/// Named rows of a shard's served model: the local index of each id (−1: not in this shard), and for the ones found,
/// in order, E[x] and (when asked) E[log x], [found × K].
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ServedRows")]
public sealed record ServedRows(ArrayPayload<int> Local, ArrayPayload<float> Expected, ArrayPayload<float> ExpectedLog);

/// <summary>
/// A user folded in against the fixed items and stored for serving: its Gamma parameters and the items it has (as
/// local indices at each item shard) with their counts.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.AddedUser")]
public sealed record AddedUser(string User, float[] Shape, float[] Rate, float[] ActivityRate, int[][] SeenByItemShard, float[][] SeenCounts);

/// <summary>
/// One partial-fit step on a shard's served rows (the SVI global step of HPF-MATH.md on a finished model): per row,
/// the batch's y·φ sums [rows × K], the step size, the scale (all rows of the other side / rows in the batch) and the
/// other side's column sums after the batch's local step.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ServedRowsStep")]
public sealed record ServedRowsStep(int[] Rows, double[] Statistics, double Rho, double Scale, double[] OtherColumnSums);
