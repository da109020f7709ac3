using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Membership;

public sealed class SqliteMembershipTableTests(ITestOutputHelper output) : MembershipTableContract(output)
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-membership-").FullName;

    protected override IMembershipTable CreateTable(string clusterId) =>
        new SqliteMembershipTable(
            Options.Create(new SqliteMembershipTableOptions
            {
                ConnectionString = $"Data Source={Path.Combine(_directory, "membership.db")}",
                ClusterId = clusterId,
            }),
            NullLogger<SqliteMembershipTable>.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_file_is_in_WAL_mode_and_refuses_a_newer_schema()
    {
        await using var table = CreateTable(ClusterId);
        await table.InitializeAsync(default);
        var path = Path.Combine(_directory, "membership.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
            command.CommandText = "UPDATE hpf_schema SET version = 99 WHERE component = 'membership';";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => table.InitializeAsync(default));
        Assert.Contains("version 99", error.Message);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task Commits_wait_for_the_disk_only_where_asked(bool syncEveryCommit, long expectedSynchronous)
    {
        // The membership table asks not to (its writes then hold the file's lock briefly); the grain-state store asks to.
        var file = new SqliteDatabaseFile($"Data Source={Path.Combine(_directory, "durability.db")}", TimeSpan.FromSeconds(1), syncEveryCommit);
        await using var connection = await file.OpenAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous;";
        Assert.Equal(expectedSynchronous, (long)(await command.ExecuteScalarAsync())!);
        await connection.CloseAsync();
        file.ClearPool();
    }
}
