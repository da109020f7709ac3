namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One full-batch half-step for a shard. Versions count the parameter updates of a side; a shard whose own version
/// is not <see cref="Version"/> − 1, or which finds the other side not at <see cref="OtherVersion"/>, refuses the
/// step, so a shard that lost its state (re-activated elsewhere) is noticed and the job rolled back.
/// </summary>
/// <param name="Iteration">1-based, for messages.</param>
/// <param name="OtherColumnSums">
/// Σ E[x] over all rows of the other side, [K] (B for users, T for items), and the shard fetches the other side's
/// rows; or null: every shard of the other side pushes its rows and partial sums to this shard when its own step
/// ends (<see cref="RowPush"/>), and this shard waits for those pushes of <see cref="OtherVersion"/> instead.
/// </param>
/// <param name="RunToken">The coordinator's run (new at every start and rollback): a push of another run is never taken.</param>
/// <param name="PushRows">When the step ends, push this shard's rows and partial column sums to every shard of the other side.</param>
[GenerateSerializer, Immutable, Alias("hpf.HalfStepRequest")]
public sealed record HalfStepRequest(int Iteration, long Version, long OtherVersion, double[]? OtherColumnSums, long RunToken = 0, bool PushRows = false)
{
    /// <summary>
    /// The budget model's per-group table the step's rates read, [groups × K]: B = Σ_{s∈a}E[β_s] for a user step,
    /// G = Σ_u w_ua·E[x_u] for an item step (docs/maths.md, "The budget model"); null for HPF.
    /// </summary>
    [Id(6)]
    public double[]? GroupTable { get; init; }
}

/// <summary>
/// A shard's rows at <paramref name="Version"/>, pushed to one shard of the other side as soon as its half-step ends, so
/// that shard's next half-step has them without asking: the fused loop's weights of the rows it resolved (null when it
/// resolved none) and the sender's Σ E[x] per factor, which every shard of the other side adds up in shard order.
/// Rows beyond <see cref="HpfMessaging.MaxRowBlockBytes"/> go in <paramref name="Parts"/> pushes, each with the rows
/// from <paramref name="FirstRow"/> on, so no message grows past the cluster's message size.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.RowPush")]
public sealed record RowPush(int FromShard, long RunToken, long Version, double[] ColumnSums, FetchedRows? Rows, int FirstRow = 0, int Parts = 1);

/// <param name="ColumnSums">Σ E[x] over this shard's rows after the step, [K].</param>
/// <param name="FailedRow">Id of the first row whose parameters came out NaN or ∞, if any.</param>
/// <param name="BytesFetched">Bytes of the other side's rows this shard fetched for the step.</param>
[GenerateSerializer, Immutable, Alias("hpf.HalfStepResult")]
public sealed record HalfStepResult(double[] ColumnSums, string? FailedRow, long BytesFetched)
{
    /// <summary>The budget model: this shard's part of the next table, [groups × K] (G from a user step, B from an item step); null for HPF.</summary>
    [Id(3)]
    public double[]? GroupTable { get; init; }
}

/// <summary>
/// A fetch of the rows a subscriber resolved, refused unless the serving shard's parameters are at
/// <paramref name="ExpectedVersion"/>. <paramref name="Positions"/> null means all of its training rows (or, for
/// <see cref="RowContent.Expected"/>, training then validation rows); otherwise positions in its training list. With
/// <paramref name="Count"/> ≥ 0 (and no positions) only rows [<paramref name="Start"/>, Start + Count) of that list come:
/// a block larger than <see cref="HpfMessaging.MaxRowBlockBytes"/> is fetched in such ranges.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.RowFetch")]
public sealed record RowFetch(int Subscriber, RowContent Content, long ExpectedVersion, int[]? Positions, int Start = 0, int Count = -1);

/// <summary>What a row fetch returns per row.</summary>
public enum RowContent
{
    /// <summary>
    /// The weights exp(E[log x] − row max) the fused loop reads (K per row), and E[log x] itself for the rows with a
    /// weight below float32's normal range, which the exact path needs: the receiver takes no exponential.
    /// </summary>
    Weights,
    /// <summary>E[x]: what the likelihoods read.</summary>
    Expected,
    /// <summary>Shape then rate: what the ELBO reads, to take E[log] in float64.</summary>
    Parameters,
}

/// <summary>
/// Rows fetched from a shard, [rows × K] (parameters: [rows × 2K]). With <see cref="RowContent.Weights"/>, the rows in
/// <paramref name="ExactRows"/> (indices into the returned rows) also come with their E[log], [exact rows × K].
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.FetchedRows")]
public sealed record FetchedRows(ArrayPayload<float> Values, ArrayPayload<int> ExactRows, ArrayPayload<float> ExactElog)
{
    public long Bytes => (Values.Length + ExactElog.Length + ExactRows.Length) * 4L;
}

/// <summary>A check after an iteration: the other side's version and whether diffnorm is wanted.</summary>
[GenerateSerializer, Immutable, Alias("hpf.CheckRequest")]
public sealed record CheckRequest(long Version, long OtherVersion, bool DiffNorm)
{
    /// <summary>The budget model: B of the current item parameters, [groups × K], which its likelihood and bound read; null for HPF.</summary>
    [Id(3)]
    public double[]? GroupSums { get; init; }
}

/// <param name="TrainTerm">Σ over the shard's nonzeros of y·log μ − log y! (the zeros' term is the coordinator's).</param>
/// <param name="ValidationSum">Σ over its usable validation nonzeros of y·log μ − μ − log y!.</param>
/// <param name="DiffNormSquared">‖E[θ] − E[θ] at the previous check‖² over its rows.</param>
[GenerateSerializer, Immutable, Alias("hpf.CheckResult")]
public sealed record CheckResult(double TrainTerm, double ValidationSum, long ValidationCount, double DiffNormSquared, long BytesFetched);

/// <summary>
/// A shard's part of the ELBO: its rows' prior and entropy terms (and, for user shards, its nonzeros' term), and its
/// Σ shape/rate per factor in float64, from which the coordinator takes the −Σ_k T_k·B_k term as the engine's ELBO does.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ElboPart")]
public sealed record ElboPart(double Terms, double[] ColumnSums);

/// <summary>The parameters of rows [start, start + count) of a shard, for reading a model out. κrte or τrte per row.</summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardRows")]
public sealed record ShardRows(int TotalRows, string[] Ids, ArrayPayload<float> Shape, ArrayPayload<float> Rate, ArrayPayload<float> ActivityRate);

/// <summary>
/// The training nonzeros of rows [start, start + count) of a user shard, for copying a job's training set out: per row
/// its id and number of nonzeros, then per nonzero the item shard holding the item, the item's local index there
/// (its rank among that shard's ids in ordinal order) and the count.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ShardNonzeros")]
public sealed record ShardNonzeros(int TotalRows, string[] Ids, ArrayPayload<int> RowLengths, ArrayPayload<int> ItemShards, ArrayPayload<int> ItemLocals, ArrayPayload<float> Counts);
