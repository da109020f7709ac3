using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Hpf.Cluster.Client.Tests;

/// <summary>deploy/local-cluster.sh as a user runs it: two Hpf.Silo processes, a job trained on them with --cluster, then stopped.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class LocalClusterScriptTests(TrainedJob job) : IDisposable
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(3);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Two_silos_from_the_script_train_a_job_and_stop_by_their_recorded_pids()
    {
        var clusterDirectory = _scratch.File("cluster");
        // Away from the defaults (11111, 11180) and from the ephemeral range other tests' silos draw from.
        var basePort = 20000 + Random.Shared.Next(0, 2000) * 4;
        var start = await RunScriptAsync("start", "--silos", "2", "--data-dir", clusterDirectory,
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
            var stop = await RunScriptAsync("stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"silo pid {pid} is still running after stop"));
        Assert.False(File.Exists(Path.Combine(clusterDirectory, "pids")));
    }

    [Fact]
    public async Task Stop_without_a_started_cluster_says_so()
    {
        var stop = await RunScriptAsync("stop", "--data-dir", _scratch.File("nothing"));
        Assert.Equal(1, stop.ExitCode);
        Assert.Contains("no cluster recorded", stop.Error);
        var usage = await RunScriptAsync("start");
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

    private static async Task<CliRun> RunScriptAsync(params string[] arguments)
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
