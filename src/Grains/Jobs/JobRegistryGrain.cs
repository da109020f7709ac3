using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime;

namespace Hpf.Cluster.Grains.Jobs;

/// <summary>The cluster's job list, persisted as one small JSON state; coordinators keep their own line up to date.</summary>
public sealed class JobRegistryGrain : Grain, IJobRegistryGrain
{
    private SortedDictionary<string, JobListing> _jobs = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await Storage.ReadAsync(async (stream, ct) =>
        {
            var jobs = await JsonSerializer.DeserializeAsync<JobListing[]>(stream, JobStore.JsonOptions, ct).ConfigureAwait(false) ?? [];
            foreach (var job in jobs) _jobs[job.Job] = job;
        }, cancellationToken).ConfigureAwait(false);

    public async Task Record(JobListing listing, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(listing.Job, out var known) && known == listing) return;
        _jobs[listing.Job] = listing;
        await SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task Remove(string job, CancellationToken cancellationToken)
    {
        if (_jobs.Remove(job)) await SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<JobListing[]> List(CancellationToken cancellationToken) => Task.FromResult(_jobs.Values.ToArray());

    private Task SaveAsync(CancellationToken cancellationToken) =>
        Storage.WriteAsync((stream, ct) => JsonSerializer.SerializeAsync(stream, _jobs.Values.ToArray(), JobStore.JsonOptions, ct), cancellationToken);
}
