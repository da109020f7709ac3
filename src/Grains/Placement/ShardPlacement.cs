using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Hpf.Cluster.Grains.Placement;

/// <summary>
/// Spreads a job's shards over the silos: shard n of each side on the n-th silo (mod the count), so every silo works in
/// every half-step and user shard n sits beside item shard n. Orleans' default (resource-optimised) placement puts
/// new activations where the load is lowest at that moment, which during a job's seal is wherever the caller runs.
/// A shard whose silo died is placed again, by the same rule, over the silos that are left.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("hpf.ShardPlacement")]
public sealed class ShardPlacement : PlacementStrategy
{
    internal static readonly ShardPlacement Instance = new();
}

/// <summary>Places a grain class's activations by <see cref="ShardPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardPlacementAttribute() : PlacementAttribute(ShardPlacement.Instance);

/// <summary>Picks the silo of a shard from its key, <c>{job}/u/{n}</c> or <c>{job}/i/{n}</c>.</summary>
public sealed class ShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0) throw new OrleansException($"no silo can host {target.GrainIdentity}");
        // Sorted, so every silo that places a shard picks the same one from the same view.
        var ordered = (SiloAddress[])silos.Clone();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()));
        return Task.FromResult(ordered[ShardNumber(target.GrainIdentity.Key.ToString()) % ordered.Length]);
    }

    /// <summary>The n of a shard key (0 for a key without one, which no shard has).</summary>
    internal static int ShardNumber(string? key)
    {
        var slash = key?.LastIndexOf('/') ?? -1;
        return slash >= 0 && int.TryParse(key.AsSpan(slash + 1), out var n) && n >= 0 ? n : 0;
    }
}
