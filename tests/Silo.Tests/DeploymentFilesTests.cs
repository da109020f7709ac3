using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// What of deploy/ can be checked without a container engine or a Kubernetes cluster (CI has neither): the Dockerfile
/// against the repository, every setting the deployment files give a silo against the settings it reads, and the
/// health check script the image and the pods probe with, against a real silo.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = Path.GetFullPath(typeof(DeploymentFilesTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    private static string InRepository(string path) => Path.Combine(Root, path);

    [Fact]
    public void The_Dockerfile_copies_every_project_the_silo_is_built_from_and_runs_the_silos_assembly_on_its_default_ports()
    {
        var dockerfile = File.ReadAllLines(InRepository("deploy/docker/Dockerfile"));
        var copies = dockerfile.Select(l => CopyLine().Match(l)).Where(m => m.Success && !m.Value.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(m => m.Groups["sources"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var source in copies)
            Assert.True(File.Exists(InRepository(source)) || Directory.Exists(InRepository(source)), $"the Dockerfile copies {source}, which the repository does not have");

        // The restore stage sees only the project files it copied: each project the silo references, directly or not, must be among them.
        var silo = "src/Silo/Hpf.Cluster.Silo.csproj";
        foreach (var project in ProjectClosure(silo))
            Assert.Contains(project, copies);
        Assert.Contains(dockerfile, l => l.Contains($"dotnet publish {silo}", StringComparison.Ordinal));

        var assembly = XDocument.Load(InRepository(silo)).Descendants("AssemblyName").Single().Value;
        Assert.Contains(dockerfile, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal) && l.Contains($"\"{assembly}.dll\"", StringComparison.Ordinal));

        using var settings = JsonDocument.Parse(File.ReadAllText(InRepository("src/Silo/appsettings.json")));
        var siloPort = settings.RootElement.GetProperty("Silo").GetProperty("Port").GetInt32();
        var apiPort = settings.RootElement.GetProperty("Api").GetProperty("Port").GetInt32();
        Assert.Contains(dockerfile, l => l.Trim() == $"EXPOSE {siloPort} {apiPort}");
        var text = string.Join('\n', dockerfile);
        Assert.Contains($"HPF_Silo__Port={siloPort}", text, StringComparison.Ordinal);
        Assert.Contains($"HPF_Api__Port={apiPort}", text, StringComparison.Ordinal);
        Assert.Contains(dockerfile, l => l.StartsWith("USER $APP_UID", StringComparison.Ordinal));
        Assert.True(File.Exists(InRepository(".dockerignore")));
    }

    [Theory]
    [InlineData("deploy/docker/Dockerfile")]
    [InlineData("deploy/compose/compose.yaml")]
    [InlineData("deploy/kubernetes/configmap.yaml")]
    [InlineData("deploy/kubernetes/statefulset.yaml")]
    [InlineData("deploy/local-cluster.sh")]
    public void Every_setting_a_deployment_file_gives_a_silo_by_environment_is_one_the_silo_reads(string file)
    {
        // A misspelt HPF_Section__Key is silently ignored by the configuration system: the silo would run on the default.
        using var settings = JsonDocument.Parse(File.ReadAllText(InRepository("src/Silo/appsettings.json")));
        var named = EnvironmentSetting().Matches(File.ReadAllText(InRepository(file))).Select(m => (Section: m.Groups[1].Value, Key: m.Groups[2].Value)).Distinct().ToList();
        Assert.NotEmpty(named);
        foreach (var (section, key) in named)
        {
            Assert.True(settings.RootElement.TryGetProperty(section, out var values) && values.TryGetProperty(key, out _),
                $"{file} sets HPF_{section}__{key}, but appsettings.json has no {section}:{key}");
        }
    }

    [Fact]
    public void The_compose_file_and_the_manifests_take_their_secrets_from_outside_the_repository()
    {
        var compose = File.ReadAllText(InRepository("deploy/compose/compose.yaml"));
        foreach (var variable in new[] { "HPF_CLUSTER_SECRET", "HPF_API_KEY", "POSTGRES_PASSWORD" })
            Assert.Contains($"${{{variable}:?", compose, StringComparison.Ordinal);
        var statefulSet = File.ReadAllText(InRepository("deploy/kubernetes/statefulset.yaml"));
        foreach (var key in new[] { "cluster-secret", "api-key", "postgres-password" })
        {
            Assert.Contains($"key: {key}", statefulSet, StringComparison.Ordinal);
            Assert.Contains(key + "=", File.ReadAllText(InRepository("deploy/kubernetes/secrets.env.example")), StringComparison.Ordinal);
        }
        var ignored = File.ReadAllLines(InRepository(".gitignore"));
        Assert.Contains("deploy/compose/.env", ignored);
        Assert.Contains("deploy/kubernetes/secrets.env", ignored);
        Assert.Contains("$(POD_NAME).hpf-silo-peers.$(POD_NAMESPACE).svc.cluster.local", statefulSet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_check_passes_for_a_silo_that_has_joined_and_fails_for_a_wrong_key_or_a_silo_that_is_not_there()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hpf-health-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var apiKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var apiPort = LoopbackPorts.Next();
        try
        {
            await using var silo = SiloProcess.Start(LoopbackPorts.Next(),
            [
                "--Membership:Provider=Sqlite", $"--Membership:ConnectionString=Data Source={Path.Combine(directory, "membership.db")}",
                "--Storage:Provider=Sqlite", $"--Storage:DataDirectory={directory}", $"--Api:Port={apiPort}",
            ], new Dictionary<string, string>
            {
                ["HPF_Cluster__ClusterSecret"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                ["HPF_Api__ApiKey"] = apiKey,
            });
            var deadline = DateTime.UtcNow.AddSeconds(60);
            (int Code, string Error) healthy;
            while ((healthy = await HealthCheckAsync(apiPort, apiKey)).Code != 0)
            {
                Assert.False(silo.HasExited, silo.Output);
                Assert.True(DateTime.UtcNow < deadline, $"never healthy: {healthy.Error}\n{silo.Output}");
                await Task.Delay(200);
            }
            var wrongKey = await HealthCheckAsync(apiPort, "not-the-key");
            Assert.Equal(1, wrongKey.Code);
            Assert.Contains("403", wrongKey.Error, StringComparison.Ordinal);
            var noKey = await HealthCheckAsync(apiPort, null);
            Assert.Equal(1, noKey.Code);

            // The liveness probe's path needs no key.
            using var http = new HttpClient();
            using var document = await http.GetAsync($"http://127.0.0.1:{apiPort}/openapi/v1.json");
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);

            silo.Terminate();
            Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)), silo.Output);
            Assert.Equal(0, silo.ExitCode);
            var gone = await HealthCheckAsync(apiPort, apiKey);
            Assert.Equal(1, gone.Code);
            Assert.Contains("nothing listens", gone.Error, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Under the temp path; a file still held a moment after the silo exited.
            }
        }
    }

    /// <summary>Runs deploy/docker/healthcheck.sh as the image does, with the key in its environment.</summary>
    private static async Task<(int Code, string Error)> HealthCheckAsync(int apiPort, string? apiKey)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(InRepository("deploy/docker/healthcheck.sh"));
        start.Environment["HPF_Api__Port"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment.Remove("HPF_Api__ApiKey");
        if (apiKey is not null) start.Environment["HPF_Api__ApiKey"] = apiKey;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await error);
    }

    /// <summary>The project and every project it references, directly or not, as repository paths.</summary>
    private static SortedSet<string> ProjectClosure(string project)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next)) continue;
            var directory = Path.GetDirectoryName(InRepository(next))!;
            foreach (var reference in XDocument.Load(InRepository(next)).Descendants("ProjectReference"))
            {
                var path = Path.GetRelativePath(Root, Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value))).Replace('\\', '/');
                pending.Push(path);
            }
        }
        return found;
    }

    [GeneratedRegex(@"^COPY\s+(?:--\S+\s+)*(?<sources>.+?)\s+\S+$")]
    private static partial Regex CopyLine();

    [GeneratedRegex(@"HPF_([A-Z][A-Za-z]+)__([A-Z][A-Za-z]+)")]
    private static partial Regex EnvironmentSetting();
}
