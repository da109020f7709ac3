using System.Diagnostics;
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

    [Fact]
    public async Task A_write_left_open_by_a_frozen_silo_is_ended_by_the_server_and_the_others_write_again()
    {
        if (_connectionString is null) return;
        var idleLimit = TimeSpan.FromSeconds(1);
        PostgresMembershipTable Connect() => new(
            Options.Create(new PostgresMembershipTableOptions
            {
                ConnectionString = _connectionString,
                ClusterId = ClusterId,
                Schema = _schema,
                IdleTransactionTimeout = idleLimit,
            }),
            NullLogger<PostgresMembershipTable>.Instance);
        await using var frozenSilo = Connect();
        await using var survivor = Connect();
        await frozenSilo.InitializeAsync(default);
        var address = new SiloAddress("127.0.0.1", 11111, 1);
        var entry = new MembershipEntry(address, "s", SiloStatus.Active, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, []);
        Assert.True(await survivor.InsertRowAsync(entry, (await survivor.ReadAllAsync(default)).Version, default));
        var snapshot = await survivor.ReadAllAsync(default);

        // What a silo frozen in the middle of a write leaves: the version row locked, and no next statement.
        await using var frozenConnection = await frozenSilo.OpenConnectionAsync(default);
        await using var frozenWrite = await frozenSilo.BeginWriteAsync(frozenConnection, default);
        Assert.True(await frozenSilo.LockVersionAsync(frozenConnection, frozenWrite, snapshot.Version, default));

        var waited = Stopwatch.StartNew();
        var dead = entry with { Status = SiloStatus.Dead };
        Assert.True(await survivor.UpdateRowAsync(dead, snapshot.Rows[0].ETag, snapshot.Version, default));
        waited.Stop();
        Output.WriteLine($"The survivor's write went through {waited.Elapsed.TotalSeconds:F2} s after the frozen write took the lock (limit {idleLimit.TotalSeconds} s)");

        Assert.InRange(waited.Elapsed, idleLimit * 0.9, idleLimit + TimeSpan.FromSeconds(15));
        Assert.Equal(SiloStatus.Dead, (await survivor.ReadRowAsync(address, default)).Rows[0].Entry.Status);
        // Resumed, the frozen silo finds its session ended: its write fails, and the survivor's vote stays.
        await Assert.ThrowsAnyAsync<Exception>(() => frozenWrite.CommitAsync());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_connectionString is not null) await PostgresTestServer.DropSchemaAsync(_connectionString, _schema);
    }
}
