using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>A completed Gaussian job brought into this process: its model and its training ratings, for the local store.</summary>
internal sealed partial class ClusterJobs
{
    /// <summary>
    /// The job's Gaussian model (read out of its shards with the hyperparameters of their final checkpoint) and the
    /// ratings it was trained on, read out of its user shards, so that the saved job serves what the cluster serves.
    /// </summary>
    public Task<PulledGaussianJob> PullGaussianAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            var status = await FindAsync(job, cancellationToken);
            if (status.State != JobState.Completed)
                throw new ClusterApiException(ClusterFailure.Conflict, $"job '{job}' is {Word(status.State)} (iteration {status.Iteration}); its model can be read once it has completed");
            var model = await GaussianModelPull.ReadAsync(_grains, job, status.Spec.Training, cancellationToken);
            var shards = await _grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken);
            var train = await ReadTrainingSetAsync(job, shards, model.UserIds, model.ItemIds, gaussian: true, cancellationToken);
            if (status.Data is { } data && data.Nonzeros != train.Nonzeros)
                throw new ClusterApiException(ClusterFailure.ServerError, $"job '{job}' on {Where} has {data.Nonzeros} training ratings, its shards returned {train.Nonzeros}");
            return new PulledGaussianJob(status, model, train);
        });
}
