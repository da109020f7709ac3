using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Membership;

public sealed class PostgresMembershipTableTests(ITestOutputHelper output) : MembershipTableContract(output)
{
    private readonly string? _connectionString = PostgresTestServer.ConnectionString(output);
    private readonly string _schema = PostgresTestServer.UniqueSchema();

    protected override IMembershipTable? CreateTable(string clusterId) =>
        _connectionString is null
            ? null
            : new PostgresMembershipTable(
                Options.Create(new PostgresMembershipTableOptions
                {
                    ConnectionString = _connectionString,
                    ClusterId = clusterId,
                    Schema = _schema,
                }),
                NullLogger<PostgresMembershipTable>.Instance);

    [Fact]
    public async Task Initialisation_logs_where_the_table_is_but_never_the_password()
    {
        if (_connectionString is null) return;
        var log = new RecordingLogger<PostgresMembershipTable>();
        await using var table = new PostgresMembershipTable(
            Options.Create(new PostgresMembershipTableOptions { ConnectionString = _connectionString, ClusterId = ClusterId, Schema = _schema }), log);

        await table.InitializeAsync(default);

        var password = new Npgsql.NpgsqlConnectionStringBuilder(_connectionString).Password;
        Assert.False(string.IsNullOrEmpty(password), "the test server has a password, or this test shows nothing");
        var ready = Assert.Single(log.Entries, entry => entry.Id.Id == 1003);
        Assert.Contains(_schema, ready.Message);
        Assert.DoesNotContain(log.Entries, entry => entry.Message.Contains(password!, StringComparison.Ordinal));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
