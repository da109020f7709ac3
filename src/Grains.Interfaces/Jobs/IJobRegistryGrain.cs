using Hpf.Cluster.Runtime;

namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The cluster's list of jobs (one grain, key <see cref="Key"/>), persisted: what `hpf jobs` lists and where each
/// silo's watchdog finds the training jobs whose coordinators must be running.
/// </summary>
public interface IJobRegistryGrain : IGrainWithStringKey
{
    /// <summary>The key of the one registry.</summary>
    public const string Key = "jobs";

    /// <summary>Adds or updates a job's line.</summary>
    Task Record(JobListing listing, CancellationToken cancellationToken);

    Task Remove(string job, CancellationToken cancellationToken);

    /// <summary>Every job, ordered by name.</summary>
    Task<JobListing[]> List(CancellationToken cancellationToken);
}
