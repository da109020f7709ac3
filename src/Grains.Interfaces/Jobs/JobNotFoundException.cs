namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>No job of that name exists on the cluster.</summary>
[GenerateSerializer, Alias("hpf.JobNotFoundException")]
public sealed class JobNotFoundException(string job) : Exception($"there is no job '{job}'")
{
    [Id(0)]
    public string Job { get; } = job;
}
