using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// Real Hpf.Silo processes on loopback ports sharing a SQLite membership table and state store, with the
/// membership timing shortened, and a client in the test process reading the same table.
/// </summary>
public sealed class SiloProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ClusterId = "process-test";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hpf-silo-test-" + Guid.NewGuid().ToString("N"));
    private readonly string _secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly string _apiKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly List<SiloProcess> _silos = [];
    private SqliteMembershipTable _table = null!;
    private MembershipTableView _view = null!;
    private ClusterClient _client = null!;

    private string MembershipConnection => $"Data Source={Path.Combine(_directory, "membership.db")}";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _table = new SqliteMembershipTable(
            Options.Create(new SqliteMembershipTableOptions { ConnectionString = MembershipConnection, ClusterId = ClusterId }),
            NullLogger<SqliteMembershipTable>.Instance);
        _view = new MembershipTableView(_table, TimeSpan.FromMilliseconds(250));
        await _view.StartAsync(CancellationToken.None);
        _client = new ClusterClient(_view, new ClusterOptions { ClusterId = ClusterId, ClusterSecret = _secret, CallTimeout = TimeSpan.FromSeconds(20) });
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
        await _client.DisposeAsync();
        await _view.DisposeAsync();
        await _table.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a file for a moment; the directory is under the temp path.
        }
    }

    private SiloProcess StartSilo(string? secret = null)
    {
        var silo = SiloProcess.Start(LoopbackPorts.Next(),
        [
            $"--Cluster:ClusterId={ClusterId}",
            $"--Cluster:ClusterSecret={secret ?? _secret}",
            "--Cluster:CallTimeout=00:00:20",
            "--Membership:Provider=Sqlite",
            $"--Membership:ConnectionString={MembershipConnection}",
            "--Membership:HeartbeatInterval=00:00:00.200",
            "--Membership:TableRefreshInterval=00:00:00.250",
            "--Membership:DeathTimeout=00:00:01.500",
            "--Storage:Provider=Sqlite",
            $"--Storage:DataDirectory={_directory}",
            "--Shutdown:DrainTime=00:00:00.500",
            $"--Silo:GrainAssemblies:0={typeof(ProcessCounterGrain).Assembly.Location}",
            "--Logging:LogLevel:Default=Warning",
            "--Api:Port=0",
        ], new Dictionary<string, string> { ["HPF_Api__ApiKey"] = _apiKey });
        _silos.Add(silo);
        return silo;
    }

    private async Task WaitForActiveSilosAsync(int count, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (_view.ActiveSilos.Count != count)
        {
            if (DateTime.UtcNow > deadline || _silos.Any(s => s.HasExited && s.ExitCode != 0 && !s.Output.Contains("declared it dead", StringComparison.Ordinal)))
            {
                Assert.Fail($"Expected {count} active silos, see [{string.Join(", ", _view.ActiveSilos)}]. Output:\n" + string.Join("\n---\n", _silos.Select(s => s.Output)));
            }
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Killing_a_silo_process_moves_its_grains_to_the_survivors_with_their_state()
    {
        for (var i = 0; i < 3; i++)
        {
            StartSilo();
        }
        await WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(60));
        var keys = Enumerable.Range(0, 12).Select(i => "grain" + i).ToArray();
        var placedOn = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            var grain = _client.GrainFactory.GetGrain<IProcessCounterGrain>(key);
            Assert.Equal(10, await grain.Add(10));
            placedOn[key] = await grain.Silo();
        }
        Assert.True(placedOn.Values.Distinct().Count() >= 2, "12 grains all landed on one silo");

        var victim = _silos.First(s => placedOn.Values.Any(v => v.Contains(":" + s.Port + "@", StringComparison.Ordinal)));
        victim.Kill();
        var killed = System.Diagnostics.Stopwatch.StartNew();

        var failedOnVictim = 0;
        foreach (var key in keys)
        {
            var grain = _client.GrainFactory.GetGrain<IProcessCounterGrain>(key);
            int value;
            try
            {
                value = await grain.Add(1);
            }
            catch (GrainCallException ex) when (ex.Silo.Contains(":" + victim.Port + "@", StringComparison.Ordinal))
            {
                // Calls are at most once: one already on its way to the victim fails (naming it) rather than being
                // replayed; nothing ran, since the process was gone. The caller retries, as the coordinator does.
                failedOnVictim++;
                value = await grain.Add(1);
            }
            Assert.Equal(11, value);
            Assert.DoesNotContain(":" + victim.Port + "@", await grain.Silo(), StringComparison.Ordinal);
        }
        output.WriteLine($"All grains served by survivors {killed.Elapsed.TotalSeconds:F2} s after the kill; {failedOnVictim} call(s) failed on the dead connection and were retried");
        Assert.True(failedOnVictim <= 1, $"{failedOnVictim} calls failed on the dead silo; only the one on its open connection may");
        await WaitForActiveSilosAsync(2, TimeSpan.FromSeconds(15));
        Assert.All(_silos.Where(s => s != victim), s => Assert.False(s.HasExited, s.Output));
    }

    [Fact]
    public async Task A_silo_that_the_others_declare_dead_stops_itself()
    {
        var frozen = StartSilo();
        StartSilo();
        StartSilo();
        await WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(60));

        // Frozen, it cannot heart-beat: the others vote it dead. Resumed, it reads that and must stop.
        await FreezeOutsideAMembershipWriteAsync(frozen);
        await WaitForActiveSilosAsync(2, TimeSpan.FromSeconds(20));
        frozen.Resume();

        Assert.True(await frozen.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the silo declared dead kept running:\n" + frozen.Output);
        Assert.Equal(3, frozen.ExitCode);
    }

    /// <summary>
    /// Freezes <paramref name="silo"/> at a moment it holds no lock on the shared membership file. SQLite locks have
    /// no lease: a silo frozen inside one of its own writes (a few per second, microseconds each) would stall the
    /// survivors' votes as well until it resumed, which SqliteMembershipTable documents and this test is not about.
    /// </summary>
    private async Task FreezeOutsideAMembershipWriteAsync(SiloProcess silo)
    {
        for (var attempt = 1; ; attempt++)
        {
            silo.Freeze();
            if (await MembershipFileTakesAWriterAsync()) return;
            output.WriteLine($"Freeze {attempt} caught the silo inside a membership write; resuming it to try again");
            silo.Resume();
            if (attempt == 10) Assert.Fail("Ten freezes in a row caught the silo holding the membership file's write lock.");
            await Task.Delay(50);
        }
    }

    /// <summary>Whether a writer gets the membership file's lock within a second (the live silos' writes take microseconds).</summary>
    private async Task<bool> MembershipFileTakesAWriterAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(MembershipConnection + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout: both limits are one second.
        command.CommandTimeout = 1;
        command.CommandText = "PRAGMA busy_timeout = 1000;";
        await command.ExecuteNonQueryAsync();
        try
        {
            // One statement per command: a BEGIN refused inside a multi-statement command went unreported.
            command.CommandText = "BEGIN IMMEDIATE;";
            await command.ExecuteNonQueryAsync();
            command.CommandText = "ROLLBACK;";
            await command.ExecuteNonQueryAsync();
            return true;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 5)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_silo_refuses_a_client_without_the_cluster_secret()
    {
        StartSilo();
        await WaitForActiveSilosAsync(1, TimeSpan.FromSeconds(60));
        await using var intruder = new ClusterClient(_view, new ClusterOptions { ClusterId = ClusterId, ClusterSecret = "wrong", CallTimeout = TimeSpan.FromSeconds(10) });

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => intruder.GrainFactory.GetGrain<IProcessCounterGrain>("x").Add(1));

        Assert.Equal(typeof(UnauthorizedAccessException).FullName, ex.RemoteExceptionType);
        Assert.DoesNotContain(_secret, _silos[0].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hpf_Silo_without_an_API_key_exits_with_2_and_says_which_setting_is_missing()
    {
        var silo = SiloProcess.Start(LoopbackPorts.Next(),
        [
            $"--Cluster:ClusterSecret={_secret}",
            $"--Membership:ConnectionString={MembershipConnection}",
            $"--Storage:DataDirectory={_directory}",
        ]);
        _silos.Add(silo);

        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)), silo.Output);
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains("No API key: set Api:ApiKey", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_secret, silo.Output, StringComparison.Ordinal);
    }
}
