using System.Diagnostics;
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

    [Fact]
    public async Task A_write_left_open_by_a_frozen_silo_is_ended_by_the_server_and_the_survivors_write_goes_through()
    {
        if (_connectionString is null) return;
        var idleLimit = TimeSpan.FromSeconds(1);
        PostgresGrainStateStore Connect() => new(
            Options.Create(new PostgresGrainStateStoreOptions { ConnectionString = _connectionString, Schema = _schema, IdleTransactionTimeout = idleLimit }),
            NullLogger<PostgresGrainStateStore>.Instance);
        await using var frozenSilo = Connect();
        await using var survivor = Connect();
        var etag = await survivor.WriteAsync(GrainType, "shard", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);

        // A silo frozen in the middle of its checkpoint: the head row claimed (and locked), no next statement.
        var claimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var frozenWrite = frozenSilo.WriteAsync(GrainType, "shard", async (s, ct) =>
        {
            claimed.SetResult();
            await resumed.Task;
            await StatePattern.WriteAsync(s, 1000, 3, ct);
        }, etag, default);
        await claimed.Task;

        var waited = Stopwatch.StartNew();
        var survivorETag = await survivor.WriteAsync(GrainType, "shard", (s, ct) => StatePattern.WriteAsync(s, 1000, 2, ct), etag, default);
        waited.Stop();
        Output.WriteLine($"The survivor's write went through {waited.Elapsed.TotalSeconds:F2} s after the frozen write claimed the row (limit {idleLimit.TotalSeconds} s)");
        Assert.InRange(waited.Elapsed, idleLimit * 0.9, idleLimit + TimeSpan.FromSeconds(15));

        // Resumed, the frozen silo finds its session ended: its write fails, and the survivor's state stays.
        resumed.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => frozenWrite);
        Assert.Equal(survivorETag, await survivor.ReadAsync(GrainType, "shard", (s, ct) => StatePattern.VerifyAsync(s, 1000, 2, ct), default));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
