using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Hpf.Cluster.Silo.Tests.Browser;
using OpenQA.Selenium;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// deploy/local-cluster.sh as a user runs it: Azurite and two Hpf.Silo processes in the cluster profile, a job trained
/// on them through their gateways and watched on the jobs page the script's link opens in a browser, then stopped and
/// cleaned; and Azurite alone (--silos 0), which needs no silo.
/// </summary>
[Collection(TrainedJobCollection.Name)]
public sealed partial class LocalClusterScriptTests(TrainedJob job, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(3);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>Ports away from the defaults (11111, 30000, 11180, 10000) and from the ephemeral range other tests' silos
    /// draw from: silo ports from base, gateways from base + 2, APIs from base + 4, Azurite on base + 6 to base + 8.</summary>
    private static int BasePort() => 20000 + Random.Shared.Next(0, 1000) * 10;

    [Fact]
    public async Task Two_silos_from_the_script_train_a_job_through_their_gateways_and_stop_with_Azurite()
    {
        var clusterDirectory = _scratch.File("cluster");
        var start = await StartTwoSilosAsync(clusterDirectory);
        var pids = ReadPids(Path.Combine(clusterDirectory, "pids"));
        var azurite = ReadPids(Path.Combine(clusterDirectory, "azurite.pid"));
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Out}\n{start.Error}");
            var lines = start.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            var gateways = Assert.Single(lines, l => l.StartsWith("HPF_CLUSTER=", StringComparison.Ordinal))["HPF_CLUSTER=".Length..];
            var key = Assert.Single(lines, l => l.StartsWith("HPF_API_KEY=", StringComparison.Ordinal))["HPF_API_KEY=".Length..];
            Assert.Matches(GatewayList(), gateways);
            Assert.Equal(2, gateways.Split(',').Length);
            Assert.NotEmpty(key);
            Assert.Equal(start.Out, await File.ReadAllTextAsync(Path.Combine(clusterDirectory, "cluster.env")));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(clusterDirectory, "cluster.env")));
            Assert.Equal(2, pids.Length);
            var azuritePid = Assert.Single(azurite);
            Assert.True(IsRunning(azuritePid), "Azurite is not running");
            foreach (var pid in pids)
            {
                // Secrets went by environment: the process list shows neither the key nor the storage account's key.
                var commandLine = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' ');
                Assert.Contains("Hpf.Silo", commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain(key, commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain("AccountKey", commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain("ConnectionString", commandLine, StringComparison.Ordinal);
            }

            // A second start on a directory whose cluster runs is refused, and leaves that cluster alone.
            var again = await RunScriptAsync("start", "--silos", "2", "--data-dir", clusterDirectory, "--timeout", "10");
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("still running", again.Error);
            Assert.Equal("", again.Out);
            Assert.All(pids.Append(azuritePid), pid => Assert.True(IsRunning(pid), $"pid {pid} stopped after a refused start"));
            var cleanWhileRunning = await RunScriptAsync("clean", "--data-dir", clusterDirectory);
            Assert.Equal(1, cleanWhileRunning.ExitCode);
            Assert.Contains("run stop first", cleanWhileRunning.Error);

            var data = _scratch.DataDirectory;
            var train = await CliRun.Of("--data-dir", data, "train", job.TrainFile, "--job", "scripted", "--k", "3", "--max-iter", "4",
                "--stop", "maxiter", "--check-every", "2", "--threads", "1", "--user-shards", "2", "--item-shards", "2", "--cluster", gateways);
            train.Succeeded();
            Assert.Contains("saved job 'scripted'", train.Out);
            var jobs = (await CliRun.Of("jobs", "--json", "--cluster", gateways)).Succeeded();
            using var listed = JsonDocument.Parse(jobs.Out);
            Assert.Contains(listed.RootElement.EnumerateArray(), j => j.GetProperty("job").GetString() == "scripted" && j.GetProperty("state").GetString() == "completed");
            (await CliRun.Of("--data-dir", data, "predict", "scripted", "--user", job.KnownUser, "--item", job.KnownItem)).Succeeded();

            // The printed jobs page URL opens as it is in a browser here, signed in by its one-time token.
            var page = Assert.Single(lines, l => l.StartsWith("HPF_JOBS_PAGE=", StringComparison.Ordinal))["HPF_JOBS_PAGE=".Length..];
            var firstApiPort = File.ReadAllLines(Path.Combine(clusterDirectory, "api-ports"))[0];
            Assert.Matches($@"^http://127\.0\.0\.1:{firstApiPort}/#login=[A-Za-z0-9_.-]+$", page);
            using (var browser = new HeadlessChromium())
            {
                browser.WebDriver.Navigate().GoToUrl(page);
                var row = browser.Until(d => d.FindElements(By.CssSelector("#jobs tbody tr")).FirstOrDefault(r => r.Text.StartsWith("scripted completed", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(30), "the scripted job on the jobs page");
                Assert.Contains("4 / 4", row.Text);
                Assert.Contains("2 active silo(s)", browser.WebDriver.FindElement(By.Id("cluster")).Text);
                Assert.Empty(browser.ConsoleErrors());
                output.WriteLine("screenshot: " + browser.Screenshot("local-cluster-jobs-page"));
                browser.WebDriver.Navigate().GoToUrl("about:blank");
            }
            // link makes a new one for the running cluster.
            var link = await RunScriptAsync("link", "--data-dir", clusterDirectory);
            Assert.True(link.ExitCode == 0, $"link exited {link.ExitCode}:\n{link.Out}\n{link.Error}");
            var fresh = Assert.Single(link.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"HPF_JOBS_PAGE=http://127.0.0.1:{firstApiPort}/#login=", fresh, StringComparison.Ordinal);
            Assert.NotEqual("HPF_JOBS_PAGE=" + page, fresh);
        }
        finally
        {
            var stop = await RunScriptAsync("stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"silo pid {pid} is still running after stop"));
        Assert.All(azurite, pid => Assert.False(IsRunning(pid), $"Azurite pid {pid} is still running after stop"));
        Assert.False(File.Exists(Path.Combine(clusterDirectory, "pids")));
        Assert.False(File.Exists(Path.Combine(clusterDirectory, "azurite.pid")));
        // What the cluster stored stays until clean.
        Assert.True(Directory.Exists(Path.Combine(clusterDirectory, "azurite")));

        var clean = await RunScriptAsync("clean", "--data-dir", clusterDirectory);
        Assert.True(clean.ExitCode == 0, $"clean exited {clean.ExitCode}:\n{clean.Out}\n{clean.Error}");
        Assert.False(Directory.Exists(clusterDirectory), "clean left the cluster's directory behind");
    }

    [Fact]
    public async Task A_watched_job_survives_the_loss_of_a_gateway_and_the_console_goes_on_through_the_other()
    {
        var clusterDirectory = _scratch.File("lost-gateway");
        var start = await StartTwoSilosAsync(clusterDirectory);
        var pids = ReadPids(Path.Combine(clusterDirectory, "pids"));
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Out}\n{start.Error}");
            var gateways = start.Out.Split('\n').Single(l => l.StartsWith("HPF_CLUSTER=", StringComparison.Ordinal))["HPF_CLUSTER=".Length..];
            var data = _scratch.DataDirectory;
            // Long enough to be training when the first silo (and its gateway) goes; checkpoints every 50 iterations.
            var training = CliRun.Of("--data-dir", data, "train", job.TrainFile, "--job", "survivor", "--k", "3", "--max-iter", "3000",
                "--stop", "maxiter", "--check-every", "500", "--threads", "1", "--user-shards", "2", "--item-shards", "2",
                "--checkpoint-every", "50", "--cluster", gateways);
            var deadline = DateTime.UtcNow + ScriptLimit;
            while (true)
            {
                if (training.IsCompleted)
                {
                    var early = await training;
                    Assert.Fail($"the job finished before a gateway could be lost (exit {early.ExitCode}):\n{early.Out}{early.Error}");
                }
                var status = await CliRun.Of("status", "survivor", "--cluster", gateways);
                if (status.ExitCode == 0 && TrainingIteration().Match(status.Out) is { Success: true } m && int.Parse(m.Groups[1].Value) >= 100) break;
                Assert.True(DateTime.UtcNow < deadline, $"the job did not reach iteration 100:\n{status.Out}{status.Error}");
                await Task.Delay(100);
            }

            Process.GetProcessById(pids[0]).Kill();

            var trained = await training.WaitAsync(ScriptLimit);
            Assert.True(trained.ExitCode == 0, $"train exited {trained.ExitCode}:\n{trained.Out}\n{trained.Error}");
            Assert.Contains("saved job 'survivor'", trained.Out);
            var inProcess = await CliRun.Of("--data-dir", _scratch.File("in-process"), "train", job.TrainFile, "--job", "survivor", "--k", "3",
                "--max-iter", "3000", "--stop", "maxiter", "--check-every", "500", "--threads", "1", "--in-process");
            inProcess.Succeeded();
            var served = await CliRun.Of("--data-dir", data, "predict", "survivor", "--user", job.KnownUser, "--item", job.KnownItem);
            var expected = await CliRun.Of("--data-dir", _scratch.File("in-process"), "predict", "survivor", "--user", job.KnownUser, "--item", job.KnownItem);
            Assert.Equal(expected.Succeeded().Out, served.Succeeded().Out);
        }
        finally
        {
            var stop = await RunScriptAsync("stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
    }

    /// <summary>The script's start of two silos and Azurite under <paramref name="clusterDirectory"/>, on ports of their own.</summary>
    private static Task<CliRun> StartTwoSilosAsync(string clusterDirectory)
    {
        var basePort = BasePort();
        return RunScriptAsync("start", "--silos", "2", "--data-dir", clusterDirectory,
            "--silo-port", $"{basePort}", "--gateway-port", $"{basePort + 2}", "--api-port", $"{basePort + 4}",
            "--azurite-port", $"{basePort + 6}", "--timeout", "120");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@": training, iteration (\d+)/")]
    private static partial System.Text.RegularExpressions.Regex TrainingIteration();

    [Fact]
    public async Task Azurite_alone_starts_keeps_its_key_across_a_restart_stops_and_is_cleaned_without_touching_other_files()
    {
        var clusterDirectory = _scratch.File("storage");
        var azuritePort = BasePort() + 6;
        var start = await RunScriptAsync("start", "--silos", "0", "--data-dir", clusterDirectory, "--azurite-port", $"{azuritePort}", "--timeout", "60");
        var azurite = ReadPids(Path.Combine(clusterDirectory, "azurite.pid"));
        string key;
        try
        {
            Assert.True(start.ExitCode == 0, $"start exited {start.ExitCode}:\n{start.Out}\n{start.Error}");
            Assert.Contains("HPF_Profile=cluster\n", start.Out, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^HPF_Storage__ConnectionString='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^']+;BlobEndpoint=http://127\.0\.0\.1:\d+/devstoreaccount1;QueueEndpoint=http://127\.0\.0\.1:\d+/devstoreaccount1;TableEndpoint=http://127\.0\.0\.1:\d+/devstoreaccount1;'$", start.Out);
            key = Assert.Single(start.Out.Split('\n'), l => l.StartsWith("HPF_API_KEY=", StringComparison.Ordinal))["HPF_API_KEY=".Length..];
            Assert.Contains($"HPF_Api__ApiKey={key}\n", start.Out, StringComparison.Ordinal);
            var pid = Assert.Single(azurite);
            Assert.True(IsRunning(pid));
            Assert.Contains("azurite", (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' '), StringComparison.Ordinal);
            var again = await RunScriptAsync("start", "--silos", "0", "--data-dir", clusterDirectory);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("still running", again.Error);
        }
        finally
        {
            var stop = await RunScriptAsync("stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
        Assert.All(azurite, pid => Assert.False(IsRunning(pid), $"Azurite pid {pid} is still running after stop"));

        // A restart keeps the key, so clients that saved it keep working.
        var restart = await RunScriptAsync("start", "--silos", "0", "--data-dir", clusterDirectory, "--azurite-port", $"{azuritePort}", "--timeout", "60");
        var restarted = ReadPids(Path.Combine(clusterDirectory, "azurite.pid"));
        try
        {
            Assert.True(restart.ExitCode == 0, $"restart exited {restart.ExitCode}:\n{restart.Out}\n{restart.Error}");
            Assert.Contains($"HPF_API_KEY={key}\n", restart.Out, StringComparison.Ordinal);
        }
        finally
        {
            var stop = await RunScriptAsync("stop", "--data-dir", clusterDirectory, "--timeout", "30");
            Assert.True(stop.ExitCode == 0, $"stop exited {stop.ExitCode}:\n{stop.Out}\n{stop.Error}");
        }
        Assert.All(restarted, pid => Assert.False(IsRunning(pid), $"Azurite pid {pid} is still running after stop"));

        var stranger = Path.Combine(clusterDirectory, "not-the-cluster's.txt");
        await File.WriteAllTextAsync(stranger, "keep me");
        var clean = await RunScriptAsync("clean", "--data-dir", clusterDirectory);
        Assert.True(clean.ExitCode == 0, $"clean exited {clean.ExitCode}:\n{clean.Out}\n{clean.Error}");
        Assert.Equal(new[] { stranger }, Directory.GetFileSystemEntries(clusterDirectory));
    }

    [Fact]
    public async Task Stop_without_a_started_cluster_and_bad_options_say_so()
    {
        var stop = await RunScriptAsync("stop", "--data-dir", _scratch.File("nothing"));
        Assert.Equal(1, stop.ExitCode);
        Assert.Contains("no cluster recorded", stop.Error);
        var link = await RunScriptAsync("link", "--data-dir", _scratch.File("nothing"));
        Assert.Equal(1, link.ExitCode);
        Assert.Contains("no cluster with silos recorded", link.Error);
        var noSilos = await RunScriptAsync("start");
        Assert.NotEqual(0, noSilos.ExitCode);
        Assert.Contains("start needs --silos N", noSilos.Error);
        foreach (var arguments in new[] { new[] { "start", "--silos", "2", "--frobnicate" }, new[] { "stop", "--cluster-secret", "x" }, new[] { "restart" }, Array.Empty<string>() })
        {
            var bad = await RunScriptAsync(arguments);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("usage: deploy/local-cluster.sh start --silos N", bad.Error);
            Assert.Equal("", bad.Out);
        }
        var help = await RunScriptAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--gateway-port", help.Out);
        Assert.Contains("--azurite-port", help.Out);
        Assert.DoesNotContain("postgres", help.Out, StringComparison.OrdinalIgnoreCase);
    }

    private static int[] ReadPids(string file) => File.Exists(file)
        ? File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToArray()
        : [];

    [System.Text.RegularExpressions.GeneratedRegex(@"^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$")]
    private static partial System.Text.RegularExpressions.Regex GatewayList();

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
