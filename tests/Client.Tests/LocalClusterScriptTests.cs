using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace Hpf.Cluster.Client.Tests;

/// <summary>deploy/local-cluster.sh as a user runs it: two Hpf.Silo processes, a job trained on them with --cluster, then stopped.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class LocalClusterScriptTests(TrainedJob job, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(3);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public Task Two_silos_from_the_script_train_a_job_and_stop_by_their_recorded_pids() => TrainOnTwoSilosAsync(environment: null);

    [Fact]
    public async Task Two_silos_on_PostgreSQL_from_the_script_train_a_job()
    {
        var server = Environment.GetEnvironmentVariable("HPF_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail("HPF_TEST_POSTGRES is not set but CI=true: the PostgreSQL cluster path must be tested in CI (.ci/run starts a server).");
            output.WriteLine("local-cluster.sh --postgres not tested: HPF_TEST_POSTGRES is not set. Run eval \"$(.ci/start-postgres.sh)\" first to test it.");
            return;
        }
        // A schema of its own, so the membership table and grain state of this run meet no other test's.
        var schema = "hpf_script_" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            // The connection string by environment, as the README advises: a --postgres argument would show its password
            // to ps while the script runs. The silos inherit the schema settings from the script's environment.
            await TrainOnTwoSilosAsync(new Dictionary<string, string>
            {
                ["HPF_POSTGRES"] = server,
                ["HPF_Membership__Schema"] = schema,
                ["HPF_Storage__Schema"] = schema,
            });
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var tables = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = @schema AND table_name IN ('hpf_membership', 'hpf_grain_state');", connection);
            tables.Parameters.AddWithValue("schema", schema);
            Assert.Equal(2L, (long)(await tables.ExecuteScalarAsync())!);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP SCHEMA IF EXISTS {schema} CASCADE;");
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task TrainOnTwoSilosAsync(IReadOnlyDictionary<string, string>? environment)
    {
        var clusterDirectory = _scratch.File("cluster");
        // Away from the defaults (11111, 11180) and from the ephemeral range other tests' silos draw from.
        var basePort = 20000 + Random.Shared.Next(0, 2000) * 4;
        var start = await RunScriptAsync(environment, "start", "--silos", "2", "--data-dir", clusterDirectory,
            "--silo-port", $"{basePort}", "--api-port", $"{basePort + 2}", "--timeout", "120");
        var pids = File.Exists(Path.Combine(clusterDirectory, "pids"))
            ? File.ReadAllLines(Path.Combine(clusterDirectory, "pids")).Where(l => l.Length > 0).Select(int.Parse).ToArray()
            : [];
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Out}\n{start.Error}");
            var lines = start.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var url = Assert.Single(lines, l => l.StartsWith("HPF_CLUSTER=", StringComparison.Ordinal))["HPF_CLUSTER=".Length..];
            var key = Assert.Single(lines, l => l.StartsWith("HPF_API_KEY=", StringComparison.Ordinal))["HPF_API_KEY=".Length..];
            Assert.Equal(2, pids.Length);
            foreach (var pid in pids)
            {
                // Secrets went by environment: the process list shows neither the key nor anything like a secret argument.
                var commandLine = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' ');
                Assert.Contains("Hpf.Silo", commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain(key, commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain("ClusterSecret", commandLine, StringComparison.Ordinal);
            }

            var data = _scratch.DataDirectory;
            var train = await CliRun.Of("--data-dir", data, "train", job.TrainFile, "--job", "scripted", "--k", "3", "--max-iter", "4",
                "--stop", "maxiter", "--check-every", "2", "--threads", "1", "--user-shards", "2", "--item-shards", "2", "--cluster", url, "--api-key", key);
            train.Succeeded();
            Assert.Contains("saved job 'scripted'", train.Out);
            var jobs = (await CliRun.Of("jobs", "--json", "--cluster", url, "--api-key", key)).Succeeded();
            using var listed = JsonDocument.Parse(jobs.Out);
            Assert.Contains(listed.RootElement.EnumerateArray(), j => j.GetProperty("job").GetString() == "scripted" && j.GetProperty("state").GetString() == "completed");
            (await CliRun.Of("--data-dir", data, "predict", "scripted", "--user", job.KnownUser, "--item", job.KnownItem)).Succeeded();
        }
        finally
        {
            var stop = await RunScriptAsync(null, "stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"silo pid {pid} is still running after stop"));
        Assert.False(File.Exists(Path.Combine(clusterDirectory, "pids")));
        if (environment is not null)
        {
            // On PostgreSQL nothing of the cluster lives in its directory.
            Assert.False(File.Exists(Path.Combine(clusterDirectory, "membership.db")));
            Assert.False(File.Exists(Path.Combine(clusterDirectory, "grain-state.db")));
        }
    }

    [Fact]
    public async Task Stop_without_a_started_cluster_says_so()
    {
        var stop = await RunScriptAsync(null, "stop", "--data-dir", _scratch.File("nothing"));
        Assert.Equal(1, stop.ExitCode);
        Assert.Contains("no cluster recorded", stop.Error);
        var usage = await RunScriptAsync(null, "start");
        Assert.NotEqual(0, usage.ExitCode);
        Assert.Contains("start needs --silos N", usage.Error);
    }

    /// <summary>Running, and not a zombie waiting for a parent that has gone to reap it.</summary>
    private static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var fields = File.ReadAllText(stat);
            var state = fields[(fields.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<CliRun> RunScriptAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var metadata = typeof(LocalClusterScriptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value!);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.GetFullPath(Path.Combine(metadata["RepositoryRoot"], "deploy", "local-cluster.sh")));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Built by this test project's reference to the console (which references the silo): the script need not build it.
        start.Environment["HPF_SILO_DLL"] = Path.GetFullPath(metadata["HpfSiloDll"]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ScriptLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"local-cluster.sh {string.Join(' ', arguments)} did not finish within {ScriptLimit}");
        }
        return new CliRun(process.ExitCode, await output, await error);
    }
}
