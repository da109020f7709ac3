using System.Net;
using System.Reflection;
using Orleans.Hosting.Kubernetes;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// deploy/kubernetes, parsed as YAML and checked against itself and against the silo, since no Kubernetes cluster is
/// reachable from CI: kinds and API versions, the Role's exact rights, names that refer to one another (ServiceAccount,
/// ConfigMap, Secrets and their keys, Services' selectors), every environment variable the pods get against what the
/// silo and Orleans' Kubernetes hosting read, and the probes' paths against a running silo.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(Path.GetFullPath(typeof(KubernetesManifestTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!), "deploy", "kubernetes");

    /// <summary>Each kind the manifests may hold, with the API version Kubernetes serves it under.</summary>
    private static readonly Dictionary<string, string> ApiVersions = new(StringComparer.Ordinal)
    {
        ["ConfigMap"] = "v1",
        ["Service"] = "v1",
        ["ServiceAccount"] = "v1",
        ["StatefulSet"] = "apps/v1",
        ["PodDisruptionBudget"] = "policy/v1",
        ["Role"] = "rbac.authorization.k8s.io/v1",
        ["RoleBinding"] = "rbac.authorization.k8s.io/v1",
    };

    private static readonly YamlMappingNode Kustomization = Documents("kustomization.yaml").Single();
    private static readonly List<YamlMappingNode> Resources = [.. Sequence(Kustomization, "resources").SelectMany(r => Documents(Scalar(r)))];

    [Fact]
    public void The_kustomization_lists_every_manifest_and_each_has_a_known_kind_its_api_version_and_a_name()
    {
        Assert.Equal("kustomize.config.k8s.io/v1beta1", Text(Kustomization, "apiVersion"));
        var listed = Sequence(Kustomization, "resources").Select(Scalar).Order().ToArray();
        var files = System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order().ToArray();
        Assert.Equal(files, listed);
        foreach (var resource in Resources)
        {
            var kind = Text(resource, "kind");
            Assert.True(ApiVersions.TryGetValue(kind, out var version), $"unexpected kind {kind}");
            Assert.Equal(version, Text(resource, "apiVersion"));
            Assert.False(string.IsNullOrEmpty(Text(Map(resource, "metadata"), "name")));
        }
        foreach (var kind in new[] { "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "StatefulSet", "PodDisruptionBudget" })
            Assert.Single(Resources, r => Text(r, "kind") == kind);
    }

    [Fact]
    public void The_silos_account_may_get_list_watch_and_patch_pods_and_nothing_else()
    {
        var role = Of("Role");
        var rule = Assert.Single(Sequence(role, "rules")).Cast();
        Assert.Equal([""], Sequence(rule, "apiGroups").Select(Scalar));
        Assert.Equal(["pods"], Sequence(rule, "resources").Select(Scalar));
        Assert.Equal(["get", "list", "patch", "watch"], Sequence(rule, "verbs").Select(Scalar).Order());

        var binding = Of("RoleBinding");
        var roleRef = Map(binding, "roleRef");
        Assert.Equal("Role", Text(roleRef, "kind"));
        Assert.Equal(Name(role), Text(roleRef, "name"));
        var subject = Assert.Single(Sequence(binding, "subjects")).Cast();
        Assert.Equal("ServiceAccount", Text(subject, "kind"));
        Assert.Equal(Name(Of("ServiceAccount")), Text(subject, "name"));
        Assert.Equal(Name(Of("ServiceAccount")), Text(PodSpec(), "serviceAccountName"));
    }

    [Fact]
    public void Every_variable_the_pods_get_is_read_by_the_silo_or_by_Orleans_Kubernetes_hosting()
    {
        var container = Container();
        var configMap = Of("ConfigMap");
        Assert.Equal(Name(configMap), Text(Map(Assert.Single(Sequence(container, "envFrom")).Cast(), "configMapRef"), "name"));
        var variables = Map(configMap, "data").Children.Select(c => (Name: Scalar(c.Key), Value: Scalar(c.Value))).ToList();
        var fromPod = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Sequence(container, "env").Select(e => e.Cast()))
        {
            var name = Text(entry, "name");
            variables.Add((name, entry.Children.TryGetValue("value", out var value) ? Scalar(value) : ""));
            if (entry.Children.TryGetValue("valueFrom", out var from) && from.Cast().Children.TryGetValue("fieldRef", out var field))
                fromPod[name] = Text(field.Cast(), "fieldPath");
        }
        // The pod's own identity, as Orleans' Kubernetes hosting reads it (its constants), from the downward API.
        Assert.Equal("metadata.name", fromPod[KubernetesHostingOptions.PodNameEnvironmentVariable]);
        Assert.Equal("metadata.namespace", fromPod[KubernetesHostingOptions.PodNamespaceEnvironmentVariable]);
        Assert.Equal("status.podIP", fromPod[KubernetesHostingOptions.PodIPEnvironmentVariable]);
        string[] hosting = [KubernetesHostingOptions.PodNameEnvironmentVariable, KubernetesHostingOptions.PodNamespaceEnvironmentVariable, KubernetesHostingOptions.PodIPEnvironmentVariable];

        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in variables)
        {
            if (hosting.Contains(name)) continue;
            Assert.StartsWith("HPF_", name, StringComparison.Ordinal);
            var key = name["HPF_".Length..].Replace("__", ":", StringComparison.Ordinal);
            Assert.True(DeploymentFilesTests.SiloSettings.Contains(key), $"the pods get {name}, which Hpf.Silo does not read");
            settings[key] = value;
        }
        // Bound as the silo binds them, the values are what the manifests mean: Kubernetes hosting on in a pod, with TLS.
        var bound = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.Equal(SiloProfile.Cluster, bound["Profile"]);
        var kubernetes = new SiloKubernetesOptions();
        bound.GetSection("Kubernetes").Bind(kubernetes);
        Assert.True(kubernetes.IsOn(SiloProfile.Cluster, _ => null));
        var tls = new Tls.ClusterTlsOptions();
        bound.GetSection("Tls").Bind(tls);
        Assert.True(tls.IsEnabled);
    }

    [Fact]
    public void Every_secret_the_pods_read_is_made_by_the_kustomization_with_the_keys_and_files_they_name()
    {
        var generated = Sequence(Kustomization, "secretGenerator").Select(g => g.Cast()).ToDictionary(g => Text(g, "name"));
        var envKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(Directory, "secrets.env.example")).Where(l => l.Length > 0 && l[0] != '#'))
            envKeys.Add(line[..line.IndexOf('=')]);

        var secrets = generated["hpf-secrets"];
        Assert.Equal(["secrets.env"], Sequence(secrets, "envs").Select(Scalar));
        var referenced = Sequence(Container(), "env").Select(e => e.Cast())
            .Where(e => e.Children.ContainsKey("valueFrom") && Map(e, "valueFrom").Children.ContainsKey("secretKeyRef"))
            .Select(e => (Variable: Text(e, "name"), Ref: Map(Map(e, "valueFrom"), "secretKeyRef"))).ToList();
        Assert.Contains(referenced, r => r.Variable == "HPF_Api__ApiKey");
        Assert.Contains(referenced, r => r.Variable == "HPF_Tls__CertificatePassword");
        foreach (var (variable, reference) in referenced)
        {
            Assert.Equal("hpf-secrets", Text(reference, "name"));
            Assert.True(envKeys.Contains(Text(reference, "key")), $"{variable} reads key {Text(reference, "key")}, which secrets.env.example does not have");
        }
        Assert.Equal(envKeys.Order(), referenced.Select(r => Text(r.Ref, "key")).Order());

        // The certificate: a Secret volume made from cluster.pfx, mounted where HPF_Tls__CertificatePath points.
        var tlsVolume = Sequence(PodSpec(), "volumes").Select(v => v.Cast()).Single(v => v.Children.ContainsKey("secret"));
        var secretName = Text(Map(tlsVolume, "secret"), "secretName");
        var files = Sequence(generated[secretName], "files").Select(Scalar).ToArray();
        var mount = Sequence(Container(), "volumeMounts").Select(m => m.Cast()).Single(m => Text(m, "name") == Text(tlsVolume, "name"));
        var path = Scalar(Map(Of("ConfigMap"), "data").Children[new YamlScalarNode("HPF_Tls__CertificatePath")]);
        Assert.Equal(Text(mount, "mountPath"), Path.GetDirectoryName(path));
        Assert.Contains(Path.GetFileName(path), files);
        // Nothing secret is committed: git ignores the files the Secrets are made from.
        var ignored = File.ReadAllLines(Path.Combine(Directory, "..", "..", ".gitignore"));
        foreach (var file in files.Append("secrets.env")) Assert.Contains($"deploy/kubernetes/{file}", ignored);
    }

    [Fact]
    public void Selectors_match_the_pods_and_the_disruption_budget_lets_one_silo_go_at_a_time()
    {
        var statefulSet = Of("StatefulSet");
        var labels = Labels(Map(Map(Map(statefulSet, "spec"), "template"), "metadata"));
        Assert.Subset(labels, Labels(Map(Map(statefulSet, "spec"), "selector"), "matchLabels"));
        var budget = Map(Of("PodDisruptionBudget"), "spec");
        Assert.Equal("1", Text(budget, "maxUnavailable"));
        Assert.Subset(labels, Labels(Map(budget, "selector"), "matchLabels"));
        foreach (var service in Resources.Where(r => Text(r, "kind") == "Service"))
            Assert.Subset(labels, Labels(Map(service, "spec"), "selector"));
    }

    [Fact]
    public async Task The_probes_ask_routes_a_silo_answers_without_the_key_on_its_api_port()
    {
        var container = Container();
        var apiPort = Sequence(container, "ports").Select(p => p.Cast()).Single(p => Text(p, "name") == "api");
        Assert.Equal("11180", Text(apiPort, "containerPort"));
        var paths = new Dictionary<string, string>();
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var get = Map(Map(container, probe), "httpGet");
            Assert.Equal("api", Text(get, "port"));
            paths[probe] = Text(get, "path");
        }
        Assert.Equal(SiloHealthChecks.HealthPath, paths["readinessProbe"]);
        Assert.Equal(SiloHealthChecks.AlivePath, paths["livenessProbe"]);

        await using var silo = await ApiSilo.StartAsync();
        foreach (var path in paths.Values)
        {
            using var response = await silo.Anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        }
        // The API itself still wants the key.
        using var api = await silo.Anonymous.GetAsync("api/cluster");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    private static YamlMappingNode Of(string kind) => Resources.Single(r => Text(r, "kind") == kind);

    private static YamlMappingNode PodSpec() => Map(Map(Map(Of("StatefulSet"), "spec"), "template"), "spec");

    private static YamlMappingNode Container() => Assert.Single(Sequence(PodSpec(), "containers")).Cast();

    private static string Name(YamlMappingNode resource) => Text(Map(resource, "metadata"), "name");

    /// <summary>The labels (or selector) as <c>key=value</c> words.</summary>
    private static HashSet<string> Labels(YamlMappingNode node, string key = "labels") =>
        Map(node, key).Children.Select(c => $"{Scalar(c.Key)}={Scalar(c.Value)}").ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Directory, file));
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => node.Children[new YamlScalarNode(key)].Cast();

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) => ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children;

    private static string Text(YamlMappingNode node, string key) => Scalar(node.Children[new YamlScalarNode(key)]);

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
}

internal static class YamlNodes
{
    public static YamlMappingNode Cast(this YamlNode node) => (YamlMappingNode)node;
}
