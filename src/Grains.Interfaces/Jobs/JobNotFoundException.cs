namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>No job of that name exists on the cluster.</summary>
public sealed class JobNotFoundException(string job) : Exception($"there is no job '{job}'")
{
    public string Job { get; } = job;
}
