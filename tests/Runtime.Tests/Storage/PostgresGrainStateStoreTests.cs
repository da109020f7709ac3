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

    [Fact]
    public async Task Initialisation_logs_where_the_store_is_but_never_the_password()
    {
        if (_connectionString is null) return;
        var log = new RecordingLogger<PostgresGrainStateStore>();
        await using var store = new PostgresGrainStateStore(
            Options.Create(new PostgresGrainStateStoreOptions { ConnectionString = _connectionString, Schema = _schema }), log);

        await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 10, 1, ct), null, default);

        var password = new Npgsql.NpgsqlConnectionStringBuilder(_connectionString).Password;
        Assert.False(string.IsNullOrEmpty(password), "the test server has a password, or this test shows nothing");
        Assert.Single(log.Entries, entry => entry.Id.Id == 1104);
        Assert.DoesNotContain(log.Entries, entry => entry.Message.Contains(password!, StringComparison.Ordinal));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
