using Hpf.Cluster.Runtime.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Storage;

[Collection(GrainStateStoreCollection.Name)]
public sealed class SqliteGrainStateStoreTests(ITestOutputHelper output) : StreamingGrainStateStoreContract(output)
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-grain-state-").FullName;

    protected override IGrainStateStore CreateStore() =>
        new SqliteGrainStateStore(
            Options.Create(new SqliteGrainStateStoreOptions { DataDirectory = Path.Combine(_directory, "nested", "data") }),
            NullLogger<SqliteGrainStateStore>.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_state_lives_in_a_file_under_the_data_directory_and_outlives_the_store()
    {
        string etag;
        await using (var store = CreateStore())
            etag = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 2_000_000, 1, ct), null, default);

        Assert.True(File.Exists(Path.Combine(_directory, "nested", "data", "grain-state.db")));
        await using var reopened = CreateStore();
        Assert.Equal(etag, await reopened.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 2_000_000, 1, ct), default));
    }
}
