using Hpf.Cluster.Runtime.Activation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// On graceful stop, deactivates every grain of the silo (each finishes its queued calls and runs
/// OnDeactivateAsync, where grains write their state). It runs in the "stopping" phase, before any hosted
/// service's StopAsync: the web host stops Kestrel in its StopAsync, and peers must still reach this silo
/// (to be told it takes no new calls) while its grains finish. A killed silo skips this, as a crashed process would.
/// </summary>
internal sealed partial class SiloShutdown(ActivationDirectory directory, SiloLifecycle lifecycle, ILogger<SiloShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (lifecycle.Killed)
        {
            return;
        }
        var count = directory.Count;
        try
        {
            await directory.DeactivateAllAsync(cancellationToken).ConfigureAwait(false);
            LogDeactivated(logger, count);
        }
        catch (OperationCanceledException)
        {
            LogCutShort(logger, directory.Count);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Deactivated {Count} grains for shutdown")]
    private static partial void LogDeactivated(ILogger logger, int count);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Shutdown timed out with {Count} grains still deactivating")]
    private static partial void LogCutShort(ILogger logger, int count);
}
