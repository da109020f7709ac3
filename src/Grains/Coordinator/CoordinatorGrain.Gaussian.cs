using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>A Gaussian job's hyperparameters for serving: those of the checkpoint the coordinator persisted.</summary>
public sealed partial class CoordinatorGrain
{
    public Task<GaussianHyperparameters?> GaussianHyperparameters(CancellationToken cancellationToken) =>
        Task.FromResult(_state?.Checkpoint.Gaussian);
}
