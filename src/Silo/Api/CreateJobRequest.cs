using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Silo.Api;

/// <summary>The body of <c>POST /api/jobs</c>.</summary>
public sealed record CreateJobRequest
{
    /// <summary>Job name: letters, digits, '-', '_' and '.', at most 128 characters, not starting with '.'.</summary>
    public string? Name { get; init; }

    /// <summary>Hyperparameters, schedule and sharding; omitted means every default.</summary>
    public JobSpec? Spec { get; init; }

    /// <summary>Replace a job of the same name (a training one is cancelled) instead of answering 409.</summary>
    public bool Replace { get; init; }
}
