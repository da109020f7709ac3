using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime.Tests.Storage;

public sealed class GrainStateStoreServiceCollectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-grain-state-di-").FullName;

    [Fact]
    public async Task The_SQLite_store_is_registered_under_the_configured_data_directory()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSqliteGrainStateStore(options => options.DataDirectory = _directory);

        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<IGrainStateStore>();
            Assert.IsType<SqliteGrainStateStore>(store);
            var etag = await store.WriteAsync("t", "g", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);
            Assert.Equal(etag, await store.ReadAsync("t", "g", (s, ct) => StatePattern.VerifyAsync(s, 1000, 1, ct), default));
        }
        Assert.True(File.Exists(Path.Combine(_directory, "grain-state.db")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
