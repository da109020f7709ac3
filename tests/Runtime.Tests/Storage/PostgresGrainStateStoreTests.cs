using Hpf.Cluster.Runtime.Storage;
using Hpf.Cluster.Runtime.Tests.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Storage;

[Collection(GrainStateStoreCollection.Name)]
public sealed class PostgresGrainStateStoreTests(ITestOutputHelper output) : StreamingGrainStateStoreContract(output)
{
    private readonly string? _connectionString = PostgresTestServer.ConnectionString(output);
    private readonly string _schema = PostgresTestServer.UniqueSchema();

    protected override IGrainStateStore? CreateStore() =>
        _connectionString is null
            ? null
            : new PostgresGrainStateStore(
                Options.Create(new PostgresGrainStateStoreOptions { ConnectionString = _connectionString, Schema = _schema }),
                NullLogger<PostgresGrainStateStore>.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
