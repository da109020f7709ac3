using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf pull</c> of a Gaussian job: its model (means, covariances, μ, σ², population priors) and its ratings go into
/// the local store as <c>hpf train --model gaussian</c> saves them, so predict, recommend, fold-in and evaluate work on
/// it without the cluster.
/// </summary>
internal sealed partial class PullCommand
{
    /// <returns>False, having done nothing, when the job is not a Gaussian one.</returns>
    private async Task<bool> PullGaussianAsync(ClusterJobs client, JobStore store, string name, CancellationToken cancellationToken)
    {
        var status = await client.GetStatusAsync(name, cancellationToken);
        if (status.Spec.Training.Model != ModelKind.Gaussian) return false;
        RequireCompleted(client, name, status);
        var pulled = await client.PullGaussianAsync(name, cancellationToken);
        var replacing = store.Exists(name);
        var saved = store.Save(pulled.Manifest(name, DateTimeOffset.UtcNow), pulled.Model, pulled.Train, cancellationToken);
        _environment.Output.Line($"pulled Gaussian job '{name}' from {client.Where} ({pulled.Model.Users.Rows} users, {pulled.Model.Items.Rows} items, "
            + $"{pulled.Train.Nonzeros} ratings, K = {pulled.Model.Factors}, iteration {pulled.Status.Iteration}); {(replacing ? "replaced" : "saved")} in {saved.Directory}");
        return true;
    }
}
