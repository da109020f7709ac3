using System.Net;
using Hpf.Cluster.Grains.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Hpf.Cluster.Grains.Tests.Placement;

/// <summary>
/// Shard n of each side goes to the n-th silo of the sorted active set, whichever silo places it; when a silo is gone,
/// its shards go to the ones that are left by the same rule.
/// </summary>
public sealed class ShardPlacementTests
{
    private static readonly SiloAddress[] Silos =
    [
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11113), 1),
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1),
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1),
    ];

    [Fact]
    public async Task Shard_n_of_each_side_lands_on_the_nth_silo_whatever_order_the_view_lists_them_in()
    {
        var director = new ShardPlacementDirector();
        var sorted = Silos.OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToArray();
        for (var n = 0; n < 7; n++)
        {
            var user = await director.OnAddActivation(ShardPlacement.Instance, Target($"job/u/{n}"), new View(Silos));
            var item = await director.OnAddActivation(ShardPlacement.Instance, Target($"job/i/{n}"), new View([.. Silos.Reverse()]));
            Assert.Equal(sorted[n % 3], user);
            Assert.Equal(user, item);
        }
    }

    [Fact]
    public async Task The_shards_of_a_lost_silo_spread_over_the_survivors()
    {
        var director = new ShardPlacementDirector();
        var survivors = Silos[..2];
        var placed = new HashSet<SiloAddress>();
        for (var n = 0; n < 4; n++)
            placed.Add(await director.OnAddActivation(ShardPlacement.Instance, Target($"job/u/{n}"), new View(survivors)));

        Assert.Equal(survivors.ToHashSet(), placed);
    }

    [Theory]
    [InlineData("job/u/12", 12)]
    [InlineData("a/b/i/3", 3)]
    [InlineData("job", 0)]
    [InlineData("job/u/-4", 0)]
    public void The_shard_number_is_the_last_part_of_the_key(string key, int expected) =>
        Assert.Equal(expected, ShardPlacementDirector.ShardNumber(key));

    private static PlacementTarget Target(string key) =>
        new(GrainId.Create("usershard", key), [], default, 0);

    private sealed class View(SiloAddress[] silos) : IPlacementContext
    {
        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => silos;

        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) =>
            new Dictionary<ushort, SiloAddress[]> { [0] = silos };

        public SiloAddress LocalSilo => silos[0];

        public SiloStatus LocalSiloStatus => SiloStatus.Active;
    }
}
