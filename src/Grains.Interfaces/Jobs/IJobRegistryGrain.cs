namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The cluster's list of jobs (one grain, key <see cref="Key"/>), persisted: what `hpf jobs` lists and where each
/// silo's watchdog finds the training jobs whose coordinators must be running.
/// </summary>
[Alias("hpf.IJobRegistryGrain")]
public interface IJobRegistryGrain : IGrainWithStringKey
{
    /// <summary>The key of the one registry.</summary>
    public const string Key = "jobs";

    /// <summary>Adds or updates a job's line.</summary>
    [Alias("Record")]
    Task Record(JobListing listing, CancellationToken cancellationToken);

    [Alias("Remove")]
    Task Remove(string job, CancellationToken cancellationToken);

    /// <summary>Every job, ordered by name.</summary>
    [Alias("List")]
    Task<JobListing[]> List(CancellationToken cancellationToken);
}
