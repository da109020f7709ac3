using Orleans.Hosting.Kubernetes;

namespace Hpf.Cluster.Silo;

/// <summary>
/// Orleans' Kubernetes hosting (section <c>Kubernetes</c>): with it, a silo labels its pod with the cluster and service
/// ids, and the silos watch their pods, so a deleted pod's silo is declared dead at once rather than after missed probes.
/// It adds to the cluster profile's Azure Table membership; it is not a clustering provider of its own.
/// </summary>
public sealed class SiloKubernetesOptions
{
    public const string Auto = "auto";
    public const string On = "on";
    public const string Off = "off";

    /// <summary>
    /// <c>auto</c>, <c>on</c> or <c>off</c>. <value><c>auto</c> by default: on in the cluster profile when the silo runs
    /// in a pod, that is when Kubernetes has set <c>KUBERNETES_SERVICE_HOST</c> and the pod spec <c>POD_NAME</c>.</value>
    /// </summary>
    public string Hosting { get; set; } = Auto;

    /// <summary>Orleans' <see cref="KubernetesHostingOptions.MaxAgents"/>: silos that watch the pods. <value>2 by default.</value></summary>
    public int MaxAgents { get; set; } = 2;

    /// <summary>
    /// Orleans' <see cref="KubernetesHostingOptions.DeleteDefunctSiloPods"/>: delete the pods of silos declared dead.
    /// <value>False by default</value>, so the Role needs no <c>delete</c>; a StatefulSet restarts a dead silo's pod anyway.
    /// </summary>
    public bool DeleteDefunctSiloPods { get; set; }

    /// <summary>Whether a silo of <paramref name="profile"/> uses Kubernetes hosting, given its environment.</summary>
    /// <exception cref="SiloConfigurationException">An unknown word, or <c>on</c> outside the cluster profile.</exception>
    public bool IsOn(string profile, Func<string, string?> environment)
    {
        var hosting = Hosting.Trim().ToLowerInvariant();
        var cluster = profile == SiloProfile.Cluster;
        switch (hosting)
        {
            case Off:
                return false;
            case On when !cluster:
                throw new SiloConfigurationException($"Kubernetes:Hosting is 'on' with the '{profile}' profile; Kubernetes hosting needs the cluster profile, whose Azure Table membership it adds to.");
            case On:
                return true;
            case Auto:
                return cluster && !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST"))
                    && !string.IsNullOrEmpty(environment(KubernetesHostingOptions.PodNameEnvironmentVariable));
            default:
                throw new SiloConfigurationException($"Kubernetes:Hosting is '{Hosting}'; it is 'auto' (on in a pod, in the cluster profile), 'on' or 'off'.");
        }
    }
}

/// <summary>Turns on Orleans' Kubernetes hosting when <see cref="SiloKubernetesOptions"/> say so.</summary>
public static class SiloKubernetesHostingExtensions
{
    /// <exception cref="SiloConfigurationException">See <see cref="SiloKubernetesOptions.IsOn"/>.</exception>
    public static ISiloBuilder UseHpfKubernetesHosting(this ISiloBuilder silo, SiloKubernetesOptions options, string profile)
    {
        if (!options.IsOn(profile, Environment.GetEnvironmentVariable)) return silo;
        return silo.UseKubernetesHosting(hosting => hosting.Configure(o =>
        {
            o.MaxAgents = options.MaxAgents;
            o.DeleteDefunctSiloPods = options.DeleteDefunctSiloPods;
        }));
    }
}
