using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// What of deploy/ can be checked without a container engine or a Kubernetes cluster (CI has neither): the Dockerfile
/// against the repository, every setting the deployment files give a silo against the settings it reads, their secrets
/// and ports against each other, and the health check script the image and the compose file probe with, against a real silo.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = Path.GetFullPath(typeof(DeploymentFilesTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    private static string InRepository(string path) => Path.Combine(Root, path);

    /// <summary>
    /// The settings Hpf.Silo reads (its configuration contract: appsettings.json, then HPF_ variables, then the command
    /// line), as configuration paths: every property of the sections <see cref="Silo.SiloSettings"/> binds, and of the
    /// Orleans option classes bound to Cluster, Membership and GrainCollection. A deployment file that sets anything
    /// else sets nothing: the configuration system ignores a key nobody reads, and the silo runs on the default.
    /// </summary>
    internal static readonly HashSet<string> SiloSettings = ReadSettings();

    private static HashSet<string> ReadSettings()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal) { "Profile" };
        IEnumerable<(string Section, Type Options)> sections =
        [
            .. new Silo.SiloSettings().Sections.Select(s => (s.Section, s.Options.GetType())),
            ("Cluster", typeof(Orleans.Configuration.ClusterOptions)),
            ("Membership", typeof(Orleans.Configuration.ClusterMembershipOptions)),
            ("GrainCollection", typeof(Orleans.Configuration.GrainCollectionOptions)),
        ];
        foreach (var (section, type) in sections)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                keys.Add($"{section}:{property.Name}");
        }
        return keys;
    }

    // The silo's default ports: silo-to-silo, the Orleans gateway the consoles connect to, and the HTTP API.
    private const int SiloPort = 11111;
    private const int GatewayPort = 30000;
    private const int ApiPort = 11180;

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

        Assert.Contains(dockerfile, l => l.Trim() == $"EXPOSE {SiloPort} {GatewayPort} {ApiPort}");
        var text = string.Join('\n', dockerfile);
        Assert.Contains($"HPF_Silo__Port={SiloPort}", text, StringComparison.Ordinal);
        Assert.Contains($"HPF_Silo__GatewayPort={GatewayPort}", text, StringComparison.Ordinal);
        Assert.Contains($"HPF_Api__Port={ApiPort}", text, StringComparison.Ordinal);
        Assert.Contains(dockerfile, l => l.StartsWith("USER $APP_UID", StringComparison.Ordinal));
        Assert.True(File.Exists(InRepository(".dockerignore")));
    }

    [Theory]
    [InlineData("deploy/docker/Dockerfile")]
    [InlineData("deploy/docker/healthcheck.sh")]
    [InlineData("deploy/compose/compose.yaml")]
    [InlineData("deploy/kubernetes/configmap.yaml")]
    [InlineData("deploy/kubernetes/statefulset.yaml")]
    [InlineData("deploy/local-cluster.sh")]
    public void Every_setting_a_deployment_file_gives_a_silo_by_environment_is_one_the_silo_reads(string file)
    {
        var text = File.ReadAllText(InRepository(file));
        var named = EnvironmentSetting().Matches(text)
            .Select(m => m.Groups[2].Success ? $"{m.Groups[1].Value}:{m.Groups[2].Value}" : m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(named);
        foreach (var setting in named)
            Assert.True(SiloSettings.Contains(setting), $"{file} sets HPF_{setting.Replace(":", "__", StringComparison.Ordinal)}, which Hpf.Silo does not read");
        // What the silo before Orleans read, and no longer does.
        foreach (var gone in new[] { "ClusterSecret", "cluster-secret", "Postgres", "PGPASSWORD", "HPF_Membership", "Sqlite" })
            Assert.DoesNotContain(gone, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_compose_file_and_the_manifests_run_the_cluster_profile_with_their_secrets_from_outside_the_repository()
    {
        var compose = File.ReadAllText(InRepository("deploy/compose/compose.yaml"));
        var composeExample = File.ReadAllText(InRepository("deploy/compose/.env.example"));
        foreach (var variable in new[] { "HPF_API_KEY", "HPF_STORAGE_CONNECTION_STRING" })
        {
            Assert.Contains($"${{{variable}:?", compose, StringComparison.Ordinal);
            Assert.Matches($"(?m)^{variable}=", composeExample);
        }
        Assert.Contains("HPF_Api__ApiKey: ${HPF_API_KEY:?", compose, StringComparison.Ordinal);
        Assert.Contains("HPF_Storage__ConnectionString: ${HPF_STORAGE_CONNECTION_STRING:?", compose, StringComparison.Ordinal);
        Assert.Contains("HPF_Profile: cluster", compose, StringComparison.Ordinal);
        // The example's storage is the compose file's Azurite service.
        Assert.Contains("TableEndpoint=http://azurite:10002/devstoreaccount1", composeExample, StringComparison.Ordinal);

        // Compose runs the Azurite that tests and deploy/local-cluster.sh install from deploy/azurite.
        using var package = JsonDocument.Parse(File.ReadAllText(InRepository("deploy/azurite/package.json")));
        var azurite = package.RootElement.GetProperty("dependencies").GetProperty("azurite").GetString();
        Assert.Contains($"image: mcr.microsoft.com/azure-storage/azurite:{azurite}", compose, StringComparison.Ordinal);

        var configMap = File.ReadAllText(InRepository("deploy/kubernetes/configmap.yaml"));
        Assert.Contains("HPF_Profile: cluster", configMap, StringComparison.Ordinal);
        var statefulSet = File.ReadAllText(InRepository("deploy/kubernetes/statefulset.yaml"));
        var secretsExample = File.ReadAllText(InRepository("deploy/kubernetes/secrets.env.example"));
        foreach (var (variable, key) in new[] { ("HPF_Api__ApiKey", "api-key"), ("HPF_Storage__ConnectionString", "storage-connection-string") })
        {
            Assert.Matches($@"- name: {variable}\s+valueFrom:\s+secretKeyRef:\s+name: hpf-secrets\s+key: {key}\s", statefulSet);
            Assert.Matches($"(?m)^{key}=", secretsExample);
        }
        var ignored = File.ReadAllLines(InRepository(".gitignore"));
        Assert.Contains("deploy/compose/.env", ignored);
        Assert.Contains("deploy/kubernetes/secrets.env", ignored);
        // Orleans keeps a silo's address in the membership table as an IP: each pod advertises its own.
        Assert.Matches(@"- name: HPF_Silo__AdvertisedHost\s+value: \$\(POD_IP\)", statefulSet);
        Assert.Contains("fieldPath: status.podIP", statefulSet, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ports_of_the_image_the_compose_file_and_the_manifests_agree_with_the_silos()
    {
        var statefulSet = File.ReadAllText(InRepository("deploy/kubernetes/statefulset.yaml"));
        var containerPorts = ContainerPort().Matches(statefulSet).ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new Dictionary<string, int> { ["silo"] = SiloPort, ["gateway"] = GatewayPort, ["api"] = ApiPort }, containerPorts);
        foreach (var (variable, port) in new[] { ("HPF_Silo__Port", SiloPort), ("HPF_Silo__GatewayPort", GatewayPort), ("HPF_Api__Port", ApiPort) })
            Assert.Matches($@"- name: {variable}\s+value: ""{port}""", statefulSet);

        // Every Service targets a port the pods name, on the same number; there is a headless one and a gateway one.
        var services = File.ReadAllText(InRepository("deploy/kubernetes/services.yaml"));
        var servicePorts = ServicePort().Matches(services).ToList();
        Assert.NotEmpty(servicePorts);
        foreach (var port in servicePorts)
        {
            Assert.True(containerPorts.TryGetValue(port.Groups["target"].Value, out var target), $"a Service targets port '{port.Groups["target"].Value}', which the pods do not name");
            Assert.Equal(target, int.Parse(port.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Contains("clusterIP: None", services, StringComparison.Ordinal);
        Assert.Contains("name: hpf-gateway", services, StringComparison.Ordinal);
        Assert.Contains("serviceName: hpf-silo-peers", statefulSet, StringComparison.Ordinal);

        // Compose publishes each silo's gateway and API ports (the image's defaults) on the host's loopback.
        var compose = File.ReadAllText(InRepository("deploy/compose/compose.yaml"));
        var published = PublishedPort().Matches(compose).Select(m => int.Parse(m.Groups["container"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, published.Count(p => p == GatewayPort));
        Assert.Equal(3, published.Count(p => p == ApiPort));
        Assert.All(published, p => Assert.Contains(p, new[] { GatewayPort, ApiPort }));

        // deploy/local-cluster.sh counts its ports up from the same defaults.
        var script = File.ReadAllText(InRepository("deploy/local-cluster.sh"));
        Assert.Contains($"silo_port={SiloPort}", script, StringComparison.Ordinal);
        Assert.Contains($"gateway_port={GatewayPort}", script, StringComparison.Ordinal);
        Assert.Contains($"api_port={ApiPort}", script, StringComparison.Ordinal);
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
                "--Profile=local", $"--Storage:DataDirectory={directory}", $"--Silo:GatewayPort={LoopbackPorts.Next()}", $"--Api:Port={apiPort}",
            ], new Dictionary<string, string>
            {
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
            Assert.Matches("40[13]", wrongKey.Error);
            var noKey = await HealthCheckAsync(apiPort, null);
            Assert.Equal(1, noKey.Code);

            // The liveness probe: the API port accepts connections.
            using (var client = new System.Net.Sockets.TcpClient())
                await client.ConnectAsync(IPAddress.Loopback, apiPort);

            silo.Terminate();
            Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)), silo.Output);
            Assert.Equal(0, silo.ExitCode);
            var gone = await HealthCheckAsync(apiPort, apiKey);
            Assert.Equal(1, gone.Code);
            Assert.Contains("nothing listens", gone.Error, StringComparison.Ordinal);
        }
        finally
        {
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

    /// <summary>HPF_Section__Key or HPF_Key (a top-level setting such as Profile), in PascalCase: not HPF_API_KEY and the
    /// like, which are the console's and the deployment files' own variables.</summary>
    [GeneratedRegex(@"HPF_([A-Z][a-z][A-Za-z]*)(?:__([A-Z][a-z][A-Za-z]*))?(?![A-Za-z0-9_])")]
    private static partial Regex EnvironmentSetting();

    [GeneratedRegex(@"- name: (?<name>[a-z]+)\s+containerPort: (?<port>[0-9]+)")]
    private static partial Regex ContainerPort();

    [GeneratedRegex(@"port: (?<port>[0-9]+)\s+targetPort: (?<target>[a-z]+)")]
    private static partial Regex ServicePort();

    [GeneratedRegex(@"- ""127\.0\.0\.1:[0-9]+:(?<container>[0-9]+)""")]
    private static partial Regex PublishedPort();
}
