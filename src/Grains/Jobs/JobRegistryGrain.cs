using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Storage;

namespace Hpf.Cluster.Grains.Jobs;

/// <summary>
/// The cluster's job list, persisted as one small JSON state; coordinators keep their own line up to date. Every call
/// reads the stored list first rather than trusting one kept in memory: two activations of the registry can exist (a
/// silo that owned it under an earlier view keeps its activation when ownership moves on, and gets the calls again
/// when ownership comes back), and one holding the list and etag of back then would serve a stale list to the
/// watchdogs and have every write refused, so no coordinator could activate again.
/// </summary>
public sealed class JobRegistryGrain : Grain, IJobRegistryGrain
{
    /// <summary>Another activation may write between our read and our write; then read again.</summary>
    private const int WriteAttempts = 5;

    public Task Record(JobListing listing, CancellationToken cancellationToken) =>
        UpdateAsync(jobs =>
        {
            if (jobs.TryGetValue(listing.Job, out var known) && known == listing) return false;
            jobs[listing.Job] = listing;
            return true;
        }, cancellationToken);

    public Task Remove(string job, CancellationToken cancellationToken) => UpdateAsync(jobs => jobs.Remove(job), cancellationToken);

    public async Task<JobListing[]> List(CancellationToken cancellationToken) => [.. (await ReadAsync(cancellationToken).ConfigureAwait(false)).Values];

    private async Task<SortedDictionary<string, JobListing>> ReadAsync(CancellationToken cancellationToken)
    {
        var jobs = new SortedDictionary<string, JobListing>(StringComparer.Ordinal);
        await Storage.ReadAsync(async (stream, ct) =>
        {
            foreach (var job in await JsonSerializer.DeserializeAsync<JobListing[]>(stream, JobStore.JsonOptions, ct).ConfigureAwait(false) ?? [])
                jobs[job.Job] = job;
        }, cancellationToken).ConfigureAwait(false);
        return jobs;
    }

    /// <param name="change">Changes the list read from storage; false when there is nothing to write.</param>
    private async Task UpdateAsync(Func<SortedDictionary<string, JobListing>, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var jobs = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!change(jobs)) return;
            try
            {
                await Storage.WriteAsync((stream, ct) => JsonSerializer.SerializeAsync(stream, jobs.Values.ToArray(), JobStore.JsonOptions, ct), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (GrainStateConflictException) when (attempt < WriteAttempts)
            {
                // Written by another activation since our read: read it again and reapply the change.
            }
        }
    }
}
