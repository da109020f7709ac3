using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Hosting;

namespace Hpf.Cluster.Runtime.Testing;

/// <summary>
/// Takes a gracefully stopping silo off the board once its grains have deactivated and before Kestrel stops,
/// the order a membership protocol follows, so no caller is still routing to it when its listener closes.
/// Registered before the runtime, so its stopping step runs after the runtime's.
/// </summary>
internal sealed class BoardMembershipLeaver(TestMembershipBoard board, LocalSilo silo) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        board.Remove(silo.Address);
        // Calls routed with the previous view may still be on the wire; the listener stays up long enough
        // to answer them "unavailable" (the caller then routes again) instead of dropping their connection.
        await Task.Delay(DrainTime, cancellationToken).ConfigureAwait(false);
    }

    private static readonly TimeSpan DrainTime = TimeSpan.FromMilliseconds(200);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
