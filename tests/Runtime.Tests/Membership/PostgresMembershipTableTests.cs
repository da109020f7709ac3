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

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
