using Microsoft.Extensions.Hosting;

namespace Hpf.Cluster.Runtime.Activation;

/// <summary>Periodically deactivates activations that have been idle for longer than the configured timeout.</summary>
internal sealed class ActivationCollector(ActivationDirectory directory) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(directory.Options.EffectiveCollectionInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                directory.CollectIdle();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the silo deactivates what is left itself.
        }
    }
}
