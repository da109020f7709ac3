namespace Hpf.Cluster.Grains.Jobs;

/// <summary>How often a silo makes sure the coordinators of training jobs are running (after a restart or a lost silo).</summary>
public sealed class JobWatchdogOptions
{
    /// <summary>Off for an embedded silo that trains one job at a time on request; on for cluster silos.</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
