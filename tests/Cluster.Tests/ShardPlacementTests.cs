using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>Orleans places a job's shards with our director: shard n of each side on the n-th silo, so every silo works.</summary>
public sealed class ShardPlacementTests
{
    [Fact]
    public async Task Shard_n_of_each_side_runs_on_the_nth_silo_of_the_cluster()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(3, storage);
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 60, Items = 40, Factors = 2, Seed = 5 });
        var spec = new JobSpec { Training = new TrainingOptions { Factors = 2, MaxIterations = 2, Threads = 1 }, UserShards = 6, ItemShards = 6 };
        await ClusterJob.SubmitAsync(cluster.Client, "placed", spec, sample.Data);
        await ClusterJob.WaitAsync(cluster.Client, "placed");

        var silos = cluster.Silos.Select(s => s.SiloAddress).OrderBy(a => a.ToParsableString(), StringComparer.Ordinal).ToArray();
        for (var n = 0; n < 6; n++)
        {
            var user = await cluster.SiloOfAsync(cluster.Client.GetGrain<IUserShardGrain>(ShardSet.UserShardKey("placed", n)));
            var item = await cluster.SiloOfAsync(cluster.Client.GetGrain<IItemShardGrain>(ShardSet.ItemShardKey("placed", n)));
            Assert.Equal(silos[n % 3], user?.SiloAddress);
            Assert.Equal(silos[n % 3], item?.SiloAddress);
        }
    }
}
