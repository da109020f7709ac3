namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>How a silo leaves gracefully.</summary>
public sealed class SiloShutdownOptions
{
    /// <summary>
    /// After its grains have deactivated, how long the silo keeps answering peers ("unavailable, route again")
    /// before its listener closes: long enough for every peer's membership view to drop it (two table refreshes
    /// by default), so no call routed with an older view finds the connection gone.
    /// </summary>
    public TimeSpan DrainTime { get; set; } = TimeSpan.FromSeconds(2);
}
