namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A shard of one side of a job's model: its rows (users, or items), their nonzeros and their Gamma variational
/// parameters. Users and items are the same code with the roles swapped (HPF-MATH.md); the two sides are
/// <see cref="IUserShardGrain"/> and <see cref="IItemShardGrain"/>. The coordinator calls one side at a time;
/// shards call the other side's shards for the parameter rows their nonzeros need.
/// </summary>
[Alias("hpf.IShardGrain")]
public interface IShardGrain : IGrainWithStringKey
{
    // Loading

    /// <summary>Takes a chunk of triplets (buffered until <see cref="Index"/>).</summary>
    [Alias("AddTriplets")]
    Task AddTriplets(TripletChunk chunk, CancellationToken cancellationToken);

    /// <summary>Drops everything the shard holds or has persisted: the job was refused or deleted.</summary>
    [Alias("Discard")]
    Task Discard(CancellationToken cancellationToken);

    /// <summary>Seal, phase 1: sums duplicate pairs and gives the shard's rows dense local indices in ordinal id order.</summary>
    [Alias("Index")]
    Task<ShardIndexSummary> Index(ShardPlan plan, CancellationToken cancellationToken);

    /// <summary>
    /// Seal, phase 2: resolves every counterpart id with the other side's shards (which learn which of their rows this
    /// shard will fetch), builds the nonzeros' counterpart map and initialises the parameters (version 0).
    /// </summary>
    [Alias("Link")]
    Task<ShardLinkSummary> Link(ShardSet shards, CancellationToken cancellationToken);

    /// <summary>
    /// Seal, phase 3, once every shard has linked (so this shard knows every row the others will fetch from it):
    /// persists the sealed data, so a re-activated shard has it. Returns the bytes written.
    /// </summary>
    [Alias("SaveData")]
    Task<long> SaveData(CancellationToken cancellationToken);

    /// <summary>
    /// The local indices of <paramref name="ids"/> (−1 for an id this shard does not have), remembered as the rows
    /// shard <paramref name="fromShard"/> of the other side will fetch for <paramref name="kind"/>.
    /// </summary>
    [Alias("Resolve")]
    [AlwaysInterleave]
    Task<ArrayPayload<int>> Resolve(int fromShard, DataSetKind kind, string[] ids, CancellationToken cancellationToken);

    // Full batch

    /// <summary>Updates every row of the shard against the other side's current rows: the fused φ/shape loop, rates, activities.</summary>
    [Alias("HalfStep")]
    Task<HalfStepResult> HalfStep(HalfStepRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a shard of the other side's rows and partial sums after its half-step, for this shard's next half-step
    /// (<see cref="HalfStepRequest.OtherColumnSums"/> null). Reentrant: it arrives while this shard's step waits for it.
    /// </summary>
    [Alias("AcceptPush")]
    [AlwaysInterleave]
    Task AcceptPush(RowPush push, CancellationToken cancellationToken);

    /// <summary>
    /// Rows of this shard that shard <see cref="RowFetch.Subscriber"/> of the other side resolved, in the order it
    /// resolved them: the fused loop's weights or the Gamma parameters of its training rows, or E[x] of its training
    /// then validation rows.
    /// </summary>
    [Alias("FetchRows")]
    [AlwaysInterleave]
    Task<FetchedRows> FetchRows(RowFetch fetch, CancellationToken cancellationToken);

    /// <summary>This shard's terms of the log-likelihoods and of diffnorm at a check (user shards; item shards return zeros).</summary>
    [Alias("Check")]
    Task<CheckResult> Check(CheckRequest request, CancellationToken cancellationToken);

    /// <summary>This shard's terms of the ELBO (a diagnostic; see <see cref="JobSpec.TraceElbo"/>).</summary>
    [Alias("Elbo")]
    Task<ElboPart> Elbo(CheckRequest request, CancellationToken cancellationToken);

    // The Gaussian model (ShardGrain.Gaussian.cs)

    /// <summary>A half-step of the Gaussian model: the shard's rows against the other side's moments.</summary>
    [Alias("GaussianHalfStep")]
    Task<GaussianStepResult> GaussianHalfStep(GaussianStepRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The Gaussian moments (m, then E[zzᵀ], float64) of the rows shard <see cref="RowFetch.Subscriber"/> of the other
    /// side resolved, in its order; rows [Start, Start + Count) of them when Count ≥ 0.
    /// </summary>
    [Alias("FetchGaussianMoments")]
    [AlwaysInterleave]
    Task<double[]> FetchGaussianMoments(RowFetch fetch, CancellationToken cancellationToken);

    /// <summary>The shard's Gaussian sums as its rows stand, and its ratings' count and sums (item shards report no ratings).</summary>
    [Alias("GaussianSums")]
    Task<GaussianShardSums> GaussianSums(CancellationToken cancellationToken);

    /// <summary>Rows [start, start + count) of the shard's Gaussian model, with the hyperparameters of its last checkpoint.</summary>
    [Alias("GaussianModelRows")]
    Task<GaussianShardRows> GaussianModelRows(int start, int count, CancellationToken cancellationToken);

    // Serving a completed Gaussian job (ShardGrain.Gaussian.Serving.cs). Reentrant: a finished model's rows are not written.

    /// <summary>A trained user of this (user) shard of a Gaussian job; null when it has none of that id.</summary>
    [Alias("GaussianServeUser")]
    [AlwaysInterleave]
    Task<GaussianServedUser?> GaussianServeUser(string user, CancellationToken cancellationToken);

    /// <summary>The named rows of this shard's Gaussian model that it has (ids found, in the order asked), with the hyperparameters of its last checkpoint.</summary>
    [Alias("GaussianServeRows")]
    [AlwaysInterleave]
    Task<GaussianShardRows> GaussianServeRows(string[] ids, CancellationToken cancellationToken);

    /// <summary>This (item) shard's best items of a Gaussian job for a user's posterior mean.</summary>
    [Alias("GaussianTopItems")]
    [AlwaysInterleave]
    Task<GaussianRankedItems> GaussianTopItems(GaussianTopItemsRequest request, CancellationToken cancellationToken);

    // SVI

    /// <summary>One SVI local step: the shard's rows in the batch get one coordinate update; their sufficient statistics go to the other side's shards.</summary>
    [Alias("LocalStep")]
    Task<LocalStepResult> LocalStep(LocalStepRequest request, CancellationToken cancellationToken);

    /// <summary>Sufficient statistics of a batch for some of this shard's rows, from one shard of the other side.</summary>
    [Alias("AddStatistics")]
    Task AddStatistics(StatisticsChunk chunk, CancellationToken cancellationToken);

    /// <summary>The SVI global step for the rows the batch touched, with the statistics received for it.</summary>
    [Alias("GlobalStep")]
    Task<GlobalStepResult> GlobalStep(GlobalStepRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The budget model: this (item) shard's part of B = Σ_{s∈a}E[β_s], [groups × K], of its parameters at
    /// <paramref name="version"/>, which the first user step after a start or a rollback reads.
    /// </summary>
    [Alias("BudgetGroupSums")]
    Task<double[]> BudgetGroupSums(long version, CancellationToken cancellationToken);

    /// <summary>Σ over the shard's rows of E[x], exactly (SVI keeps running sums between epochs).</summary>
    [Alias("ColumnSums")]
    Task<double[]> ColumnSums(CancellationToken cancellationToken);

    // Checkpoints and the model

    /// <summary>Writes the parameters tagged with the iteration into a checkpoint slot (or the final slot).</summary>
    [Alias("WriteCheckpoint")]
    Task<CheckpointResult> WriteCheckpoint(CheckpointRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the parameters back from a slot (iteration 0: initialises them afresh from the seed, as at the seal);
    /// fails if the slot does not hold that iteration. <paramref name="shards"/> are the job's shards as now placed.
    /// </summary>
    [Alias("RestoreCheckpoint")]
    Task RestoreCheckpoint(CheckpointRequest request, ShardSet shards, CancellationToken cancellationToken);

    /// <summary>Rows [start, start + count) of the shard's current model: ids and parameters.</summary>
    [Alias("ModelRows")]
    Task<ShardRows> ModelRows(int start, int count, CancellationToken cancellationToken);

    /// <summary>The training nonzeros of this (user) shard's rows [start, start + count): what <c>hpf pull</c> copies beside the model.</summary>
    [Alias("TrainingRows")]
    Task<ShardNonzeros> TrainingRows(int start, int count, CancellationToken cancellationToken);

    /// <summary>The silo this shard runs on (as <c>GET /api/cluster</c> names silos): where an operator looks, and what a test kills.</summary>
    [Alias("HostSilo")]
    [AlwaysInterleave]
    Task<string> HostSilo(CancellationToken cancellationToken);

    // Serving: from the finished model, or while training from the shard's last checkpoint. Reentrant: they read
    // the served arrays, which training does not write.

    /// <summary>The iteration of the model this shard serves (its final one, or its last checkpoint); 0 when it has none.</summary>
    [Alias("ServedIteration")]
    [AlwaysInterleave]
    Task<int> ServedIteration(CancellationToken cancellationToken);

    /// <summary>A user of this (user) shard, trained or added; null when it has none of that id.</summary>
    [Alias("ServeUser")]
    [AlwaysInterleave]
    Task<ServedUser?> ServeUser(string user, CancellationToken cancellationToken);

    /// <summary>This (item) shard's best items for a user's E[θ].</summary>
    [Alias("TopItems")]
    [AlwaysInterleave]
    Task<RankedItems> TopItems(TopItemsRequest request, CancellationToken cancellationToken);

    /// <summary>E[x] (and E[log x], finished models only) of the named rows.</summary>
    [Alias("ServeRows")]
    [AlwaysInterleave]
    Task<ServedRows> ServeRows(string[] ids, bool expectedLog, CancellationToken cancellationToken);

    /// <summary>Σ over the served rows of E[x], per factor, in float64.</summary>
    [Alias("ServedColumnSums")]
    [AlwaysInterleave]
    Task<double[]> ServedColumnSums(CancellationToken cancellationToken);

    /// <summary>A budget job's (item) shard: its served items' E[β] summed per group, and its items per group.</summary>
    [Alias("ServedBudgetGroupSums")]
    [AlwaysInterleave]
    Task<ServedGroupSums> ServedBudgetGroupSums(CancellationToken cancellationToken);

    /// <summary>Stores a folded-in user in this (user) shard for serving; an existing one only with <paramref name="replaceExisting"/>.</summary>
    [Alias("AddUser")]
    Task AddUser(AddedUser user, bool replaceExisting, CancellationToken cancellationToken);

    // Partial fit: a further SVI pass over a finished model.

    /// <summary>Moves the named served rows by an SVI global step; a row that comes out NaN or ∞ leaves the whole model as it was.</summary>
    [Alias("StepServedRows")]
    Task<GlobalStepResult> StepServedRows(ServedRowsStep step, CancellationToken cancellationToken);

    /// <summary>Writes the served (finished) model to the final slot again, after partial-fit steps; <paramref name="stepCounter"/> is the job's SVI clock.</summary>
    [Alias("SaveServedModel")]
    Task<CheckpointResult> SaveServedModel(long stepCounter, CancellationToken cancellationToken);
}
