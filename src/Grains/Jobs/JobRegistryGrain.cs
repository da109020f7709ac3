using Hpf.Cluster.Grains.Interfaces;
using Orleans.Runtime;
using Hpf.Cluster.Grains.Storage;
using Orleans.Storage;

namespace Hpf.Cluster.Grains.Jobs;

/// <summary>The jobs the registry lists, persisted through Orleans grain storage.</summary>
[GenerateSerializer, Alias("hpf.JobRegistryState")]
public sealed class JobRegistryState
{
    [Id(0)]
    public Dictionary<string, JobListing> Jobs { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The cluster's job list; coordinators keep their own line up to date. A write that finds the stored list changed
/// since this activation read it (a second activation while a silo's death was being declared) reads it again and
/// reapplies the change, so no line is lost.
/// </summary>
public sealed class JobRegistryGrain(
    [PersistentState("jobs", HpfStorage.StateProvider)] IPersistentState<JobRegistryState> registry) : Grain, IJobRegistryGrain
{
    private const int WriteAttempts = 5;

    public Task Record(JobListing listing, CancellationToken cancellationToken) =>
        UpdateAsync(jobs =>
        {
            if (jobs.TryGetValue(listing.Job, out var known) && known == listing) return false;
            jobs[listing.Job] = listing;
            return true;
        }, cancellationToken);

    public Task Remove(string job, CancellationToken cancellationToken) => UpdateAsync(jobs => jobs.Remove(job), cancellationToken);

    public Task<JobListing[]> List(CancellationToken cancellationToken)
    {
        var jobs = registry.State.Jobs.Values.ToArray();
        Array.Sort(jobs, static (a, b) => string.CompareOrdinal(a.Job, b.Job));
        return Task.FromResult(jobs);
    }

    /// <param name="change">Changes the list; false when there is nothing to write.</param>
    private async Task UpdateAsync(Func<Dictionary<string, JobListing>, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!change(registry.State.Jobs)) return;
            try
            {
                await registry.WriteStateAsync(cancellationToken);
                return;
            }
            catch (InconsistentStateException) when (attempt < WriteAttempts)
            {
                await registry.ReadStateAsync(cancellationToken);
            }
        }
    }
}
