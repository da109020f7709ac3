using System.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Membership;

/// <summary>
/// The behaviour every membership table must have, and the protocol run on top of it, checked once per
/// provider by the derived classes. Each table instance stands for one process's connection to the shared
/// database, so tests that give each writer or agent its own instance exercise cross-connection concurrency.
/// </summary>
public abstract class MembershipTableContract(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Fast timings for protocol tests, with twenty heartbeats of slack so a busy machine does not get live test silos voted out.</summary>
    private static readonly MembershipOptions Fast = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        TableRefreshInterval = TimeSpan.FromMilliseconds(100),
        DeathTimeout = TimeSpan.FromSeconds(2),
        NumVotesForDeath = 2,
    };

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly List<IMembershipTable> _tables = [];
    private readonly List<MembershipAgent> _agents = [];
    private int _nextPort = 20000;

    protected ITestOutputHelper Output { get; } = output;

    protected string ClusterId { get; } = "cluster-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new connection to the provider's shared store for <paramref name="clusterId"/>, or null when the provider cannot be tested here.</summary>
    protected abstract IMembershipTable? CreateTable(string clusterId);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        foreach (var table in _tables) await table.DisposeAsync();
    }

    [Fact]
    public async Task Insert_then_read_returns_the_row_and_bumps_the_version()
    {
        if (await OpenAsync() is not { } table) return;
        var before = await table.ReadAllAsync(default);
        Assert.Empty(before.Rows);
        var entry = Entry(NewAddress()) with
        {
            Suspicions = [new SiloSuspicion(new SiloAddress("10.1.2.3", 7, 99), At(5))],
        };

        Assert.True(await table.InsertRowAsync(entry, before.Version, default));

        var after = await table.ReadAllAsync(default);
        Assert.Equal(before.Version.Version + 1, after.Version.Version);
        Assert.NotEqual(before.Version.ETag, after.Version.ETag);
        var row = Assert.Single(after.Rows);
        AssertSameEntry(entry, row.Entry);
        var single = await table.ReadRowAsync(entry.SiloAddress, default);
        Assert.Equal(after.Version, single.Version);
        Assert.Equal(row.ETag, Assert.Single(single.Rows).ETag);
        Assert.Empty((await table.ReadRowAsync(NewAddress(), default)).Rows);
    }

    [Fact]
    public async Task A_write_against_a_stale_table_version_is_refused_and_changes_nothing()
    {
        if (await OpenAsync() is not { } table) return;
        var stale = (await table.ReadAllAsync(default)).Version;
        var first = Entry(NewAddress());
        Assert.True(await table.InsertRowAsync(first, stale, default));

        Assert.False(await table.InsertRowAsync(Entry(NewAddress()), stale, default));

        var current = await table.ReadAllAsync(default);
        var row = Assert.Single(current.Rows);
        Assert.False(await table.UpdateRowAsync(first with { Status = SiloStatus.Dead }, row.ETag, stale, default));
        var unchanged = await table.ReadAllAsync(default);
        Assert.Equal(current.Version, unchanged.Version);
        Assert.Equal(SiloStatus.Joining, Assert.Single(unchanged.Rows).Entry.Status);
    }

    [Fact]
    public async Task A_write_against_a_stale_row_etag_or_an_existing_row_is_refused()
    {
        if (await OpenAsync() is not { } table) return;
        var entry = Entry(NewAddress());
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version, default));
        var read = await table.ReadAllAsync(default);
        var staleETag = Assert.Single(read.Rows).ETag;
        Assert.True(await table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, staleETag, read.Version, default));

        var current = await table.ReadAllAsync(default);
        Assert.False(await table.UpdateRowAsync(entry with { Status = SiloStatus.Dead }, staleETag, current.Version, default));
        Assert.False(await table.InsertRowAsync(entry, current.Version, default));

        var after = await table.ReadAllAsync(default);
        Assert.Equal(current.Version, after.Version);
        Assert.Equal(SiloStatus.Active, Assert.Single(after.Rows).Entry.Status);
    }

    [Fact]
    public async Task Heartbeats_do_not_bump_the_version_and_never_move_backwards()
    {
        if (await OpenAsync() is not { } table) return;
        var entry = Entry(NewAddress());
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version, default));
        var read = await table.ReadAllAsync(default);

        await table.UpdateIAmAliveAsync(entry.SiloAddress, At(50), default);
        await table.UpdateIAmAliveAsync(entry.SiloAddress, At(40), default);
        var afterHeartbeats = await table.ReadAllAsync(default);
        Assert.Equal(read.Version, afterHeartbeats.Version);
        var row = Assert.Single(afterHeartbeats.Rows);
        Assert.Equal(At(50), row.Entry.IAmAliveTime);

        // A voter rewriting the row from an older read must not erase the newer heartbeat.
        Assert.True(await table.UpdateRowAsync(row.Entry with { IAmAliveTime = At(10), Status = SiloStatus.Active }, row.ETag, afterHeartbeats.Version, default));
        Assert.Equal(At(50), Assert.Single((await table.ReadAllAsync(default)).Rows).Entry.IAmAliveTime);
    }

    [Fact]
    public async Task Two_writers_from_the_same_read_on_separate_connections_one_wins()
    {
        if (await OpenAsync() is not { } first || await OpenAsync() is not { } second) return;
        var entry = Entry(NewAddress());
        Assert.True(await first.InsertRowAsync(entry, (await first.ReadAllAsync(default)).Version, default));
        var read = await second.ReadAllAsync(default);
        var row = Assert.Single(read.Rows);
        var voteA = entry with { Suspicions = [new SiloSuspicion(NewAddress(), At(1))] };
        var voteB = entry with { Suspicions = [new SiloSuspicion(NewAddress(), At(2))] };

        var results = await Task.WhenAll(
            Task.Run(() => first.UpdateRowAsync(voteA, row.ETag, read.Version, default)),
            Task.Run(() => second.UpdateRowAsync(voteB, row.ETag, read.Version, default)));

        Assert.Single(results, won => won);
        var stored = Assert.Single((await first.ReadAllAsync(default)).Rows).Entry;
        Assert.Equal(results[0] ? voteA.Suspicions : voteB.Suspicions, stored.Suspicions);
    }

    [Fact]
    public async Task Concurrent_read_modify_write_loops_on_separate_connections_lose_no_update()
    {
        const int writers = 3, votesEach = 8;
        var tables = new List<IMembershipTable>();
        for (var i = 0; i < writers; i++)
            if (await OpenAsync() is { } table) tables.Add(table);
            else return;
        var target = Entry(NewAddress());
        Assert.True(await tables[0].InsertRowAsync(target, (await tables[0].ReadAllAsync(default)).Version, default));
        var conflicts = 0;

        await Task.WhenAll(tables.Select((table, writer) => Task.Run(async () =>
        {
            var voter = new SiloAddress("voter", writer, 1);
            for (var vote = 0; vote < votesEach; vote++)
            {
                while (true)
                {
                    var read = await table.ReadRowAsync(target.SiloAddress, default);
                    var row = Assert.Single(read.Rows);
                    var updated = row.Entry with { Suspicions = [.. row.Entry.Suspicions, new SiloSuspicion(voter, At(vote))] };
                    if (await table.UpdateRowAsync(updated, row.ETag, read.Version, default)) break;
                    Interlocked.Increment(ref conflicts);
                }
            }
        })));

        var final = await tables[0].ReadAllAsync(default);
        var suspicions = Assert.Single(final.Rows).Entry.Suspicions;
        Assert.Equal(writers * votesEach, suspicions.Count);
        for (var writer = 0; writer < writers; writer++)
            Assert.Equal(votesEach, suspicions.Count(s => s.Suspecter.Port == writer));
        Assert.Equal(1 + writers * votesEach, final.Version.Version);
        Output.WriteLine($"{conflicts} conflicting writes were refused and retried");
    }

    [Fact]
    public async Task Clusters_sharing_a_database_do_not_see_each_other_and_delete_only_their_own()
    {
        if (await OpenAsync() is not { } mine || await OpenAsync(ClusterId + "-other") is not { } other) return;
        Assert.True(await mine.InsertRowAsync(Entry(NewAddress()), (await mine.ReadAllAsync(default)).Version, default));
        Assert.True(await other.InsertRowAsync(Entry(NewAddress()), (await other.ReadAllAsync(default)).Version, default));
        Assert.Single((await mine.ReadAllAsync(default)).Rows);

        await other.DeleteClusterAsync(default);
        Assert.Single((await mine.ReadAllAsync(default)).Rows);
        await other.InitializeAsync(default);
        Assert.Empty((await other.ReadAllAsync(default)).Rows);
    }

    [Fact]
    public async Task Initialisation_is_idempotent_even_when_concurrent()
    {
        if (await OpenAsync() is not { } first) return;
        Assert.True(await first.InsertRowAsync(Entry(NewAddress()), (await first.ReadAllAsync(default)).Version, default));
        var more = new List<IMembershipTable>();
        for (var i = 0; i < 3; i++)
            if (CreateTable(ClusterId) is { } table) { _tables.Add(table); more.Add(table); }

        await Task.WhenAll(more.Select(table => Task.Run(() => table.InitializeAsync(default))));

        var after = await first.ReadAllAsync(default);
        Assert.Equal(1, after.Version.Version);
        Assert.Single(after.Rows);
    }

    [Fact]
    public async Task A_killed_silo_in_a_cluster_of_two_is_declared_dead_by_one_vote()
    {
        if (await StartAgentAsync(Fast) is not { } survivor) return;
        var victim = (await StartAgentAsync(Fast))!;
        await Eventually.HoldsAsync(() => survivor.ActiveSilos.Count == 2, Patience, "the survivor sees both silos");

        await victim.DisposeAsync();

        await Eventually.HoldsAsync(() => !survivor.ActiveSilos.Contains(victim.Self), Patience, "the survivor drops the killed silo");
        var row = Assert.Single((await survivor.ReadTableAsync()).Rows, r => r.Entry.SiloAddress == victim.Self);
        Assert.Equal(SiloStatus.Dead, row.Entry.Status);
        Assert.Equal([survivor.Self], row.Entry.Suspicions.Select(s => s.Suspecter));
    }

    [Fact]
    public async Task A_killed_silo_in_a_cluster_of_three_is_declared_dead_by_two_distinct_votes()
    {
        var (logA, logB) = (new RecordingLogger<MembershipAgent>(), new RecordingLogger<MembershipAgent>());
        if (await StartAgentAsync(Fast, log: logA) is not { } a) return;
        var b = (await StartAgentAsync(Fast, log: logB))!;
        var victim = (await StartAgentAsync(Fast))!;
        await Eventually.HoldsAsync(() => a.ActiveSilos.Count == 3 && b.ActiveSilos.Count == 3, Patience, "both see three silos");

        await victim.DisposeAsync();

        await Eventually.HoldsAsync(() => !a.ActiveSilos.Contains(victim.Self) && !b.ActiveSilos.Contains(victim.Self), Patience,
            "both survivors drop the killed silo");
        var row = Assert.Single((await a.ReadTableAsync()).Rows, r => r.Entry.SiloAddress == victim.Self);
        Assert.Equal(SiloStatus.Dead, row.Entry.Status);
        Assert.Equal(new[] { a.Self, b.Self }.Order(), row.Entry.Suspicions.Select(s => s.Suspecter).Order());
        Assert.Equal(2, a.ActiveSilos.Count);
        Assert.Equal(a.ActiveSilos, b.ActiveSilos);
        // Joined (1010) by both; the first voter suspected (1011), the second declared dead (1012).
        Assert.True(logA.Logged(1010) && logB.Logged(1010));
        Assert.True(logA.Logged(1011) || logB.Logged(1011));
        var verdict = Assert.Single(logA.Entries.Concat(logB.Entries), entry => entry.Id.Id == 1012);
        Assert.Contains(victim.Self.ToString(), verdict.Message);
    }

    [Fact]
    public async Task One_voter_cannot_kill_while_another_live_silo_is_needed_for_the_second_vote()
    {
        if (await OpenAsync() is not { } table) return;
        // A silent silo, and a live one that heart-beats but does not vote (a row the test keeps alive): the voter
        // suspects the silent one, but the live silo counts towards the votes needed, so one vote is not enough.
        var silent = NewAddress();
        var live = NewAddress();
        foreach (var silo in new[] { silent, live })
        {
            var version = (await table.ReadAllAsync(default)).Version;
            Assert.True(await table.InsertRowAsync(Entry(silo) with { Status = SiloStatus.Active }, version, default));
        }
        using var stopBeating = new CancellationTokenSource();
        var beating = Task.Run(async () =>
        {
            while (!stopBeating.IsCancellationRequested)
            {
                await table.UpdateIAmAliveAsync(live, DateTimeOffset.UtcNow, default);
                await Task.Delay(Fast.HeartbeatInterval, stopBeating.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        try
        {
            var voter = (await StartAgentAsync(Fast))!;
            await Eventually.HoldsAsync(async () =>
            {
                var row = (await table.ReadAllAsync(default)).Find(silent);
                return row!.Entry.Suspicions.Any(s => s.Suspecter == voter.Self);
            }, Patience, "the voter suspects the silent silo");
            await Task.Delay(Fast.DeathTimeout * 2);

            var after = await table.ReadAllAsync(default);
            var entry = after.Find(silent)!.Entry;
            Assert.Equal(SiloStatus.Active, entry.Status);
            Assert.Equal([voter.Self], entry.Suspicions.Select(s => s.Suspecter));
            Assert.Empty(after.Find(live)!.Entry.Suspicions);
            Assert.Equal(3, voter.ActiveSilos.Count);
        }
        finally
        {
            await stopBeating.CancelAsync();
            await beating;
        }
    }

    [Fact]
    public async Task A_lone_live_voter_declares_the_silent_silos_dead()
    {
        if (await OpenAsync() is not { } table) return;
        // Two of three silos gone at once: silent silos cannot vote, so they do not count towards the votes needed,
        // and the survivor alone clears them (as in a cluster of two) instead of keeping them in its view for ever.
        var silent = new[] { NewAddress(), NewAddress() };
        foreach (var silo in silent)
        {
            var version = (await table.ReadAllAsync(default)).Version;
            Assert.True(await table.InsertRowAsync(Entry(silo) with { Status = SiloStatus.Active }, version, default));
        }
        var voter = (await StartAgentAsync(Fast))!;

        await Eventually.HoldsAsync(async () =>
        {
            var rows = (await table.ReadAllAsync(default)).Rows.Where(r => silent.Contains(r.Entry.SiloAddress));
            return rows.All(r => r.Entry.Status == SiloStatus.Dead);
        }, Patience, "the lone voter declares both silent silos dead");
        await Eventually.HoldsAsync(() => Task.FromResult(voter.ActiveSilos.Count == 1), Patience, "the voter's view holds itself alone");
    }

    [Fact]
    public async Task A_silo_that_reads_itself_dead_stops_heartbeating_and_signals_the_host()
    {
        if (await OpenAsync() is not { } table) return;
        var log = new RecordingLogger<MembershipAgent>();
        var victim = (await StartAgentAsync(Fast, log: log))!;
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        victim.SelfDeclaredDead += (_, _) => raised.TrySetResult();

        var read = await table.ReadRowAsync(victim.Self, default);
        var row = Assert.Single(read.Rows);
        Assert.True(await table.UpdateRowAsync(row.Entry with { Status = SiloStatus.Dead }, row.ETag, read.Version, default));

        await raised.Task.WaitAsync(Patience);
        Assert.True(victim.IsDeclaredDead);
        Assert.True(victim.SiloStopping.IsCancellationRequested);
        Assert.True(log.Logged(1013));
        var lastBeat = Assert.Single((await table.ReadRowAsync(victim.Self, default)).Rows).Entry.IAmAliveTime;
        await Task.Delay(Fast.HeartbeatInterval * 5);
        Assert.Equal(lastBeat, Assert.Single((await table.ReadRowAsync(victim.Self, default)).Rows).Entry.IAmAliveTime);
    }

    [Fact]
    public async Task A_graceful_leave_marks_the_silo_dead_without_votes()
    {
        if (await StartAgentAsync(Fast) is not { } stayer) return;
        var log = new RecordingLogger<MembershipAgent>();
        var leaver = (await StartAgentAsync(Fast, log: log))!;
        await Eventually.HoldsAsync(() => stayer.ActiveSilos.Count == 2, Patience, "the stayer sees both silos");

        await leaver.StopAsync(default);

        Assert.True(leaver.SiloStopping.IsCancellationRequested);
        Assert.False(leaver.IsDeclaredDead);
        Assert.True(log.Logged(1014));
        var took = await Eventually.HoldsAsync(() => stayer.ActiveSilos.SequenceEqual([stayer.Self]), Patience, "the stayer drops the leaver");
        Assert.True(took < Fast.DeathTimeout, $"a graceful leave is seen at the next refresh, not after a vote; took {took}");
        var row = (await stayer.ReadTableAsync()).Find(leaver.Self)!;
        Assert.Equal(SiloStatus.Dead, row.Entry.Status);
        Assert.Empty(row.Entry.Suspicions);
    }

    [Fact]
    public async Task Views_report_a_join_to_waiters_and_agree_on_the_sorted_active_set()
    {
        if (await StartAgentAsync(Fast) is not { } first) return;
        var changes = new List<ClusterMembershipChange>();
        first.Changed += (_, change) => { lock (changes) changes.Add(change); };
        var before = first.Snapshot;
        Assert.Equal([first.Self], before.ActiveSilos);
        var waiting = first.WaitForChangeAsync(before.Version, default);

        var second = (await StartAgentAsync(Fast))!;

        var seen = await waiting.WaitAsync(Patience);
        Assert.True(seen.Version > before.Version);
        Assert.Equal(new[] { first.Self, second.Self }.Order(), seen.ActiveSilos);
        await Eventually.HoldsAsync(() => second.ActiveSilos.SequenceEqual(first.ActiveSilos), Patience, "both views agree");
        // The agent wakes waiters before it raises Changed, so the event may land just after the wait returns.
        await Eventually.HoldsAsync(() => { lock (changes) return changes.Exists(change => change.Added.Contains(second.Self)); }, Patience, "Changed reports the join");
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitForChangeAsync(long.MaxValue, cancelled.Token));
    }

    [Fact]
    public async Task A_silo_restarted_at_the_same_endpoint_retires_its_previous_generation()
    {
        if (await OpenAsync() is not { } table) return;
        var old = (await StartAgentAsync(Fast))!;
        await old.DisposeAsync();
        var restarted = (await StartAgentAsync(Fast, old.Self with { Generation = old.Self.Generation + 1 }))!;

        var rows = (await table.ReadAllAsync(default)).Rows;
        Assert.Equal(SiloStatus.Dead, rows.Single(r => r.Entry.SiloAddress == old.Self).Entry.Status);
        Assert.Equal(SiloStatus.Active, rows.Single(r => r.Entry.SiloAddress == restarted.Self).Entry.Status);
        Assert.Equal([restarted.Self], restarted.ActiveSilos);
    }

    [Fact]
    public async Task With_default_settings_a_killed_silo_leaves_every_view_within_ten_seconds()
    {
        var defaults = new MembershipOptions();
        if (await StartAgentAsync(defaults) is not { } a) return;
        var b = (await StartAgentAsync(defaults))!;
        var victim = (await StartAgentAsync(defaults))!;
        await Eventually.HoldsAsync(() => a.ActiveSilos.Count == 3 && b.ActiveSilos.Count == 3 && victim.ActiveSilos.Count == 3,
            Patience, "all three see three silos");
        // Kill right after a heartbeat, the worst case: the victim's last IAmAlive is as fresh as it can be.
        var lastBeat = Assert.Single((await a.ReadTableAsync()).Rows, r => r.Entry.SiloAddress == victim.Self).Entry.IAmAliveTime;
        await Eventually.HoldsAsync(async () => (await a.ReadTableAsync()).Find(victim.Self)!.Entry.IAmAliveTime > lastBeat,
            Patience, "the victim heart-beats");

        var clock = Stopwatch.StartNew();
        await victim.DisposeAsync();
        TimeSpan? aDropped = null, bDropped = null;
        await Eventually.HoldsAsync(() =>
        {
            if (aDropped is null && !a.ActiveSilos.Contains(victim.Self)) aDropped = clock.Elapsed;
            if (bDropped is null && !b.ActiveSilos.Contains(victim.Self)) bDropped = clock.Elapsed;
            return aDropped is not null && bDropped is not null;
        }, TimeSpan.FromSeconds(30), "both survivors drop the killed silo");

        var converged = aDropped!.Value > bDropped!.Value ? aDropped.Value : bDropped.Value;
        Output.WriteLine($"{GetType().Name}: killed silo left the views after {aDropped.Value.TotalSeconds:0.00} s and "
            + $"{bDropped.Value.TotalSeconds:0.00} s (heartbeat {defaults.HeartbeatInterval.TotalSeconds} s, death timeout "
            + $"{defaults.DeathTimeout.TotalSeconds} s, refresh {defaults.TableRefreshInterval.TotalSeconds} s)");
        Assert.True(converged < TimeSpan.FromSeconds(10), $"views converged after {converged}");
        // The last heartbeat may have been written (and seen) up to one interval before the kill, not earlier.
        var first = aDropped.Value < bDropped.Value ? aDropped.Value : bDropped.Value;
        Assert.True(first > defaults.DeathTimeout - defaults.HeartbeatInterval, $"dropped after {first}, before its heartbeat was DeathTimeout stale");
    }

    private async Task<IMembershipTable?> OpenAsync(string? clusterId = null)
    {
        var table = CreateTable(clusterId ?? ClusterId);
        if (table is null) return null;
        _tables.Add(table);
        await table.InitializeAsync(default);
        return table;
    }

    /// <summary>Starts an agent on a connection of its own, as a silo process would have.</summary>
    private async Task<TestAgent?> StartAgentAsync(MembershipOptions options, SiloAddress? address = null, RecordingLogger<MembershipAgent>? log = null)
    {
        if (await OpenAsync() is not { } table) return null;
        var self = address ?? NewAddress();
        var agent = new MembershipAgent(table, new LocalSilo(self, $"silo-{self.Port}"), Options.Create(options with { }),
            (Microsoft.Extensions.Logging.ILogger<MembershipAgent>?)log ?? NullLogger<MembershipAgent>.Instance);
        _agents.Add(agent);
        await agent.StartAsync(default);
        return new TestAgent(agent, table);
    }

    private SiloAddress NewAddress() => new("127.0.0.1", Interlocked.Increment(ref _nextPort), Stopwatch.GetTimestamp());

    private static MembershipEntry Entry(SiloAddress silo) =>
        MembershipEntry.Joining(silo, $"silo-{silo.Port}", At(0));

    private static DateTimeOffset At(int seconds) =>
        new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(seconds);

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(expected.IAmAliveTime, actual.IAmAliveTime);
        Assert.Equal(expected.Suspicions, actual.Suspicions);
    }

    /// <summary>An agent and the connection it uses, so a test can look at the table the way that silo does.</summary>
    private sealed class TestAgent(MembershipAgent agent, IMembershipTable table)
    {
        public SiloAddress Self => agent.Self;
        public IReadOnlyList<SiloAddress> ActiveSilos => agent.ActiveSilos;
        public ClusterMembershipSnapshot Snapshot => agent.Snapshot;
        public bool IsDeclaredDead => agent.IsDeclaredDead;
        public CancellationToken SiloStopping => agent.SiloStopping;

        public event EventHandler? SelfDeclaredDead
        {
            add => agent.SelfDeclaredDead += value;
            remove => agent.SelfDeclaredDead -= value;
        }

        public event EventHandler<ClusterMembershipChange>? Changed
        {
            add => agent.Changed += value;
            remove => agent.Changed -= value;
        }

        public Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken) =>
            agent.WaitForChangeAsync(afterVersion, cancellationToken);

        public Task<MembershipTableSnapshot> ReadTableAsync() => table.ReadAllAsync(default);

        public Task StopAsync(CancellationToken cancellationToken) => agent.StopAsync(cancellationToken);

        public ValueTask DisposeAsync() => agent.DisposeAsync();
    }
}
