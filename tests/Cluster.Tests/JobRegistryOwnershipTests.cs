using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Storage;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// The job registry when its ownership moves away from a silo and back: the silo's old activation is still there
/// (the runtime keeps it), and must neither serve the list it had nor have its writes refused. Found with three
/// Hpf.Silo processes: a silo whose early view made it the registry's owner kept that activation, got the registry
/// back when the owner was frozen, and refused every coordinator's write, so the job was never taken over.
/// </summary>
public sealed class JobRegistryOwnershipTests
{
    [Fact]
    public async Task An_activation_left_behind_on_a_silo_that_owned_the_registry_before_serves_and_records_the_current_list()
    {
        await using var cluster = await TrainingCluster.StartAsync(2, new InMemoryGrainStateStore());
        var registry = cluster.Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key);
        var id = new GrainId(typeof(IJobRegistryGrain).FullName!, IJobRegistryGrain.Key);
        await registry.List(CancellationToken.None);
        var owner = cluster.Silos.Single(s => s.HasActivation(id));
        var other = cluster.Silos.Single(s => s != owner);
        var at = DateTimeOffset.UnixEpoch;

        // The owner out of the view: the other silo activates the registry and writes the first job.
        cluster.Membership.Remove(owner.Address);
        await registry.Record(new JobListing("first", JobState.Training, at), CancellationToken.None);
        Assert.True(other.HasActivation(id));

        // The owner back: its activation writes the second job; the other silo's activation stays where it was.
        cluster.Membership.Add(owner.Address);
        await registry.Record(new JobListing("second", JobState.Training, at), CancellationToken.None);
        Assert.True(other.HasActivation(id), "the runtime kept the other silo's activation");

        // The owner gone again: the old activation answers, and must see and keep both jobs.
        cluster.Membership.Remove(owner.Address);
        Assert.Equal(["first", "second"], (await registry.List(CancellationToken.None)).Select(j => j.Job));
        await registry.Record(new JobListing("third", JobState.Training, at), CancellationToken.None);
        await registry.Remove("first", CancellationToken.None);
        Assert.Equal(["second", "third"], (await registry.List(CancellationToken.None)).Select(j => j.Job));
    }
}
