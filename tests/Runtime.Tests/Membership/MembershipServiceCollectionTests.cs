using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hpf.Cluster.Runtime.Tests.Membership;

public sealed class MembershipServiceCollectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-membership-di-").FullName;

    [Fact]
    public async Task A_silo_registered_with_the_SQLite_table_joins_on_start_and_leaves_on_stop()
    {
        var self = SiloAddress.New("127.0.0.1", 30001);
        var clusterId = "di-" + Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new LocalSilo(self, "silo-a"))
            .AddSqliteMembershipTable(options =>
            {
                options.ConnectionString = $"Data Source={Path.Combine(_directory, "m.db")}";
                options.ClusterId = clusterId;
            })
            .AddMembershipAgent(options => options.TableRefreshInterval = TimeSpan.FromMilliseconds(200));

        await using (var provider = services.BuildServiceProvider())
        {
            var view = provider.GetRequiredService<IClusterMembershipView>();
            var hosted = Assert.Single(provider.GetServices<IHostedService>());
            Assert.Same(view, hosted);
            Assert.Equal(TimeSpan.FromMilliseconds(200), provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<MembershipOptions>>().Value.TableRefreshInterval);

            await hosted.StartAsync(default);
            Assert.Equal([self], view.ActiveSilos);
            var table = provider.GetRequiredService<IMembershipTable>();
            Assert.Equal(SiloStatus.Active, (await table.ReadRowAsync(self, default)).Find(self)!.Entry.Status);
            await hosted.StopAsync(default);
            Assert.Equal(SiloStatus.Dead, (await table.ReadRowAsync(self, default)).Find(self)!.Entry.Status);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
