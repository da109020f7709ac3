using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// Base class of grain implementations. The runtime creates one instance per activation, runs
/// <see cref="OnActivateAsync"/> before its first call and <see cref="OnDeactivateAsync"/> when it is
/// collected for idleness or its silo shuts down gracefully (the place to write state).
/// </summary>
public abstract class Grain
{
    private GrainActivationContext? _context;
    private GrainStorage? _storage;

    /// <summary>The identity of this activation's grain.</summary>
    public GrainId GrainId => Context.GrainId;

    /// <summary>The key the grain is addressed by.</summary>
    public string GrainKey => Context.GrainId.Key;

    /// <summary>Factory for references to other grains (or to this one).</summary>
    protected IGrainFactory GrainFactory => Context.GrainFactory;

    /// <summary>The silo this activation runs on.</summary>
    protected SiloAddress Silo => Context.Silo;

    /// <summary>This grain's persisted state in the silo's grain state store.</summary>
    protected GrainStorage Storage => _storage ??= new GrainStorage(
        Context.Services.GetService<IGrainStateStore>() ?? throw new InvalidOperationException($"Grain {GrainId} uses storage but silo {Silo} has no IGrainStateStore registered."),
        GrainId);

    private GrainActivationContext Context =>
        _context ?? throw new InvalidOperationException("A grain's runtime context is available once the runtime has activated it, not in its constructor.");

    internal void Attach(GrainActivationContext context) => _context = context;

    /// <summary>Runs once, before the first call of this activation.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once, after the last call of this activation.</summary>
    public virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Asks the runtime to deactivate this activation once the current call and the queued ones finish.</summary>
    protected void DeactivateOnIdle() => Context.RequestDeactivation();

    /// <summary>
    /// Cancelled when this activation starts to close: it deactivates, or its silo stops. A closing activation still
    /// finishes the calls it is running, so a call that waits for other grains (for data they will push, say) should
    /// give up on this token rather than hold the silo's shutdown until its own timeout.
    /// </summary>
    protected CancellationToken ActivationClosing => Context.Closing;

    /// <summary>
    /// Keeps this activation from being collected as idle for <paramref name="timeSpan"/> from now (replacing any
    /// earlier delay; zero ends it), as Orleans's DelayDeactivation does: for a grain that works in the background
    /// between calls, such as a coordinator running a training loop. A graceful shutdown still deactivates it.
    /// </summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => Context.DelayDeactivation(timeSpan);
}
