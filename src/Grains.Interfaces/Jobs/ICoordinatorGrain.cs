namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One per job (key = job name): owns the job's spec, state and progress, places its shards, and drives the
/// schedule (user half-step → item half-step, or SVI batches), checkpoints and stopping. Its state is persisted,
/// so a coordinator activated after a restart resumes a training job from its last complete checkpoint.
/// Its implementation is reentrant: status reads are answered while a long seal or upload is in progress.
/// </summary>
[Alias("hpf.ICoordinatorGrain")]
public interface ICoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the job (state Created) and chooses and places its shards. An existing job of that name is refused
    /// unless <paramref name="replace"/>, which deletes it first (a training one is cancelled).
    /// </summary>
    [Alias("Create")]
    Task<JobStatus> Create(JobSpec spec, bool replace, CancellationToken cancellationToken);

    /// <summary>Starts an upload (state Loading) and hands out the shards its triplets go to.</summary>
    [Alias("BeginUpload")]
    Task<ShardSet> BeginUpload(DataSetKind kind, string source, CancellationToken cancellationToken);

    /// <summary>Records an upload that was read without a bad line.</summary>
    [Alias("CompleteUpload")]
    Task<JobStatus> CompleteUpload(UploadSummary summary, CancellationToken cancellationToken);

    /// <summary>An upload had bad lines: the job is deleted with everything its shards received, so nothing of it is left.</summary>
    [Alias("RefuseUpload")]
    Task RefuseUpload(UploadRefusal refusal, CancellationToken cancellationToken);

    /// <summary>
    /// Starts the job: in the background the shards are sealed (dense indices, counterpart maps, initial parameters,
    /// data persisted; the status says <see cref="JobStatus.Sealing"/>), then training runs. Returns at once, so a large
    /// seal is not bound by a call timeout. Data found unusable while sealing fail the job (<see cref="JobFailure.Data"/>)
    /// and are discarded.
    /// </summary>
    [Alias("Start")]
    Task<JobStatus> Start(CancellationToken cancellationToken);

    /// <summary>The job's status, or null when there is no such job.</summary>
    [Alias("GetStatus")]
    Task<JobStatus?> GetStatus(CancellationToken cancellationToken);

    /// <summary>Stops training within one half-step (state Cancelled); the last complete checkpoint is kept.</summary>
    [Alias("Cancel")]
    Task<JobStatus> Cancel(CancellationToken cancellationToken);

    /// <summary>Deletes the job, its shards' data and checkpoints; a training job is cancelled first.</summary>
    [Alias("Delete")]
    Task Delete(CancellationToken cancellationToken);

    /// <summary>The job's shards, for reading the model out of them.</summary>
    [Alias("GetShards")]
    Task<ShardSet> GetShards(CancellationToken cancellationToken);

    /// <summary>
    /// hpfrec's partial_fit on a finished job: a further SVI pass over new users' counts, the job's step size
    /// ρ_t = (t + τ0)^(−κ) going on from where its clock stopped. Each batch's users are folded in against the items
    /// (their local step), the items they touch take the global step, and the users are stored for serving.
    /// </summary>
    [Alias("PartialFit")]
    Task<PartialFitResult> PartialFit(PartialFitRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// A Gaussian job's μ, σ² and population priors at its last checkpoint (the final one once it has completed), which
    /// serving needs beside the shards' rows; null for HPF jobs and before the first checkpoint.
    /// </summary>
    [Alias("GaussianHyperparameters")]
    Task<GaussianHyperparameters?> GaussianHyperparameters(CancellationToken cancellationToken);
}
