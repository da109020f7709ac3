namespace Hpf.Cluster.Runtime.Activation;

/// <summary>When idle activations are collected and how long deactivation may take.</summary>
public sealed class GrainCollectionOptions
{
    /// <summary>An activation that has served no call for this long is deactivated.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the collector looks for idle activations; zero means a quarter of <see cref="IdleTimeout"/>.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Bound on one activation's OnActivateAsync or OnDeactivateAsync.</summary>
    public TimeSpan HookTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal TimeSpan EffectiveCollectionInterval =>
        CollectionInterval > TimeSpan.Zero ? CollectionInterval : TimeSpan.FromTicks(Math.Max(IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
}
