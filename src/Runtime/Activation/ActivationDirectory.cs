using System.Collections.Concurrent;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Activation;

/// <summary>
/// The activations of one silo by grain id. A call finds or creates its grain's activation here; if that
/// activation is closing, the call waits for it to finish deactivating (so state written in OnDeactivateAsync
/// is there to read) and goes to a fresh one.
/// </summary>
internal sealed class ActivationDirectory
{
    private readonly ConcurrentDictionary<GrainId, GrainActivation> _activations = new();
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger<GrainActivation> _activationLogger;
    private volatile bool _closed;

    public ActivationDirectory(IServiceProvider services, LocalSilo silo, IOptions<GrainCollectionOptions> options, RuntimeMetrics metrics, ILogger<GrainActivation> activationLogger)
    {
        Services = services;
        Silo = silo.Address;
        Options = options.Value;
        _metrics = metrics;
        _activationLogger = activationLogger;
    }

    public IServiceProvider Services { get; }

    public SiloAddress Silo { get; }

    public GrainCollectionOptions Options { get; }

    /// <summary>Set once the silo's grain factory exists; grains get it to call other grains.</summary>
    public IGrainFactory GrainFactory { get; set; } = null!;

    public int Count => _activations.Count;

    public bool IsActive(GrainId grainId) => _activations.ContainsKey(grainId);

    public async Task<object?> InvokeAsync(GrainId grainId, GrainMethodDescriptor method, object?[] arguments, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_closed)
            {
                throw new SiloUnavailableException($"Silo {Silo} is shutting down and takes no new calls.");
            }
            var activation = _activations.GetOrAdd(grainId, static (id, directory) => directory.CreateActivation(id), this);
            var item = new GrainCallWorkItem(method, arguments, cancellationToken);
            if (activation.TryEnqueue(item))
            {
                return await item.Completion.Task.ConfigureAwait(false);
            }
            await activation.Deactivated.WaitAsync(cancellationToken).ConfigureAwait(false);
            _activations.TryRemove(new KeyValuePair<GrainId, GrainActivation>(grainId, activation));
        }
    }

    public void Remove(GrainActivation activation) =>
        _activations.TryRemove(new KeyValuePair<GrainId, GrainActivation>(activation.GrainId, activation));

    /// <summary>Deactivates every activation that has been idle for <see cref="GrainCollectionOptions.IdleTimeout"/>.</summary>
    public int CollectIdle()
    {
        var idleSince = Environment.TickCount64 - (long)Options.IdleTimeout.TotalMilliseconds;
        var collected = 0;
        foreach (var activation in _activations.Values)
        {
            if (activation.TryCloseIfIdleSince(idleSince))
            {
                collected++;
            }
        }
        return collected;
    }

    /// <summary>
    /// Graceful shutdown: refuses new calls, lets every activation finish its queue and run OnDeactivateAsync.
    /// </summary>
    public async Task DeactivateAllAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        var closing = _activations.Values.Select(a => a.CloseAsync()).ToArray();
        await Task.WhenAll(closing).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private GrainActivation CreateActivation(GrainId grainId)
    {
        if (!GrainInterfaceRegistry.TryGetGrainClass(grainId.Type, out var grainClass))
        {
            throw new InvalidOperationException($"No grain class implementing {grainId.Type} is known on silo {Silo}.");
        }
        return new GrainActivation(grainId, grainClass, this, _metrics, _activationLogger);
    }
}
