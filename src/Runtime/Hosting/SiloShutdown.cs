using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// On graceful stop, deactivates every grain of the silo (each finishes its queued calls and runs
/// OnDeactivateAsync, where grains write their state). It runs in the "stopping" phase, before any hosted
/// service's StopAsync: the web host stops Kestrel in its StopAsync, and peers must still reach this silo
/// (to be told it takes no new calls) while its grains finish. A killed silo (disposed without stopping) never gets here, as a crashed process would not.
/// </summary>
internal sealed partial class SiloShutdown(
    ActivationDirectory directory,
    IClusterMembershipView view,
    IOptions<SiloShutdownOptions> options,
    ILogger<SiloShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // ShuttingDown first, so peers stop placing grains here while the ones we have deactivate.
        if (view is MembershipAgent agent)
        {
            await agent.BeginLeaveAsync(cancellationToken).ConfigureAwait(false);
        }
        var count = directory.Count;
        try
        {
            await directory.DeactivateAllAsync(cancellationToken).ConfigureAwait(false);
            LogDeactivated(logger, count);
            await Task.Delay(options.Value.DrainTime, cancellationToken).ConfigureAwait(false);
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
