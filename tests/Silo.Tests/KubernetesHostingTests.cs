using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting.Kubernetes;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>When a silo turns Orleans' Kubernetes hosting on: <c>Kubernetes:Hosting</c>, and in a pod by itself.</summary>
public sealed class KubernetesHostingTests
{
    private static readonly Dictionary<string, string> InPod = new() { ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1", [KubernetesHostingOptions.PodNameEnvironmentVariable] = "hpf-silo-0" };

    [Theory]
    [InlineData("auto", SiloProfile.Cluster, true, true)]
    [InlineData("auto", SiloProfile.Cluster, false, false)]
    [InlineData("auto", SiloProfile.Local, true, false)]
    [InlineData("on", SiloProfile.Cluster, false, true)]
    [InlineData("off", SiloProfile.Cluster, true, false)]
    [InlineData("OFF ", SiloProfile.Cluster, true, false)]
    public void Auto_turns_it_on_in_a_pod_in_the_cluster_profile_and_on_and_off_say_so(string hosting, string profile, bool inPod, bool expected)
    {
        var options = new SiloKubernetesOptions { Hosting = hosting };
        Assert.Equal(expected, options.IsOn(profile, name => inPod ? InPod.GetValueOrDefault(name) : null));
    }

    [Fact]
    public void On_outside_the_cluster_profile_and_an_unknown_word_are_refused_naming_the_setting()
    {
        Assert.Contains("needs the cluster profile", Assert.Throws<SiloConfigurationException>(() => new SiloKubernetesOptions { Hosting = "on" }.IsOn(SiloProfile.Local, _ => null)).Message);
        Assert.Contains("Kubernetes:Hosting is 'yes'", Assert.Throws<SiloConfigurationException>(() => new SiloKubernetesOptions { Hosting = "yes" }.IsOn(SiloProfile.Cluster, _ => null)).Message);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public async Task The_silo_builder_adds_Orleans_Kubernetes_hosting_when_it_is_on(string hosting, bool added)
    {
        var directory = Directory.CreateTempSubdirectory("hpf-k8s-").FullName;
        try
        {
            using var logs = new CapturedLogs();
            var settings = ApiSilo.Settings(directory, ApiSilo.NewKey());
            settings["Profile"] = SiloProfile.Cluster;
            settings["Storage:ConnectionString"] = "UseDevelopmentStorage=true";
            settings["Kubernetes:Hosting"] = hosting;
            settings["Kubernetes:MaxAgents"] = "3";
            // Built, not started: nothing is contacted.
            await using var silo = HpfSiloBuilder.Build(ApiSilo.Builder(directory, logs, settings));
            var configurations = silo.Services.GetServices<IConfigureOptions<KubernetesHostingOptions>>().ToList();
            Assert.Equal(added, configurations.Count > 0);
            if (!added) return;
            var options = new KubernetesHostingOptions();
            foreach (var configuration in configurations) configuration.Configure(options);
            Assert.Equal(3, options.MaxAgents);
            Assert.False(options.DeleteDefunctSiloPods);
            // Outside a pod Orleans' own validation refuses to go on: the manifests give every pod its namespace.
            var refused = Assert.Throws<OptionsValidationException>(() => silo.Services.GetRequiredService<IOptions<KubernetesHostingOptions>>().Value);
            Assert.Contains(KubernetesHostingOptions.PodNamespaceEnvironmentVariable, refused.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
