using Hpf.Cluster.Grains.Interfaces;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Grains.Jobs;

/// <summary>
/// Every silo looks at the job list on an interval and calls the coordinator of each training job: a call activates
/// a coordinator that is not running (its silo died, or the cluster restarted), and an activated coordinator of a
/// training job resumes from its last complete checkpoint. Every silo doing it is harmless (the call is a status read).
/// </summary>
public sealed partial class JobWatchdog(IGrainFactory grains, IOptions<JobWatchdogOptions> options, ILogger<JobWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(options.Value.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var jobs = await grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).List(cancellationToken);
            foreach (var job in jobs)
            {
                if (job.State != JobState.Training) continue;
                await grains.GetGrain<ICoordinatorGrain>(job.Job).GetStatus(cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A silo is leaving or the view is settling: the next round tries again.
            LogCheckFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "Job watchdog round failed; retrying next round")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
