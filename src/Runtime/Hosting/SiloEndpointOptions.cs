namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>Where a silo listens for other silos and how they reach it.</summary>
public sealed class SiloEndpointOptions
{
    /// <summary>Address Kestrel binds to; loopback unless the cluster spans machines.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Host name or address other silos connect to; empty means <see cref="BindAddress"/> (or the machine name when binding to all interfaces).</summary>
    public string AdvertisedHost { get; set; } = "";

    /// <summary>
    /// Silo-to-silo port; 0 picks a free one, held from the moment the silo is built (its address names it) until
    /// Kestrel listens.
    /// </summary>
    public int Port { get; set; } = 11111;

    /// <summary>Name of the silo in logs and the membership table; empty means host:port.</summary>
    public string SiloName { get; set; } = "";
}
