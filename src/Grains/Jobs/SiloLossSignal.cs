using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace Hpf.Cluster.Grains.Jobs;

/// <summary>
/// Tells the grains of this silo, through a cancellation token, that the cluster has declared a silo dead. Calls in
/// flight on a dead silo end only at Orleans' response timeout (30 s), and rows a dead shard was to push never come:
/// a coordinator ends its attempt on this token and a shard stops waiting for pushes, so the job rolls back within
/// about a second of the death rather than half a minute. Each death cancels the token and starts a new one.
/// </summary>
public sealed class SiloLossSignal(IClusterMembershipService membership) : BackgroundService
{
    private CancellationTokenSource _current = new();

    /// <summary>Cancelled at the next silo declared dead (after this property was read).</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        var first = true;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var died = false;
                foreach (var member in snapshot.Members.Values)
                {
                    if (member.Status == SiloStatus.Dead && dead.Add(member.SiloAddress)) died = true;
                }
                // The first view lists silos that died before this one started (earlier runs' rows): nothing to signal.
                if (!died || first)
                {
                    first = false;
                    continue;
                }
                // Not disposed: a caller may be linking the old token right now; without timers it holds nothing.
                var lost = Interlocked.Exchange(ref _current, new CancellationTokenSource());
                await lost.CancelAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }
}
