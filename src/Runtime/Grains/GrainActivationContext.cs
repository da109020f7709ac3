using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime;

/// <summary>What the runtime tells a grain about where and as what it runs.</summary>
/// <param name="Closing">Cancelled when the activation starts to close (see <see cref="Grain.ActivationClosing"/>).</param>
internal sealed record GrainActivationContext(GrainId GrainId, IGrainFactory GrainFactory, SiloAddress Silo, IServiceProvider Services, Action RequestDeactivation,
    Action<TimeSpan> DelayDeactivation, CancellationToken Closing);
