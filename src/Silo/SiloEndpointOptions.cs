namespace Hpf.Cluster.Silo;

/// <summary>Where a silo listens and how others reach it (section <c>Silo</c>).</summary>
public sealed class SiloEndpointOptions
{
    /// <summary>The address the silo, gateway and API listen on. <value>127.0.0.1 by default: nothing is reachable from another machine unless asked.</value></summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The address other silos and clients use to reach this one. <value>Empty by default: the bind address (or this machine's address when binding all).</value></summary>
    public string AdvertisedHost { get; set; } = "";

    /// <summary>Silo-to-silo port. <value>11111 by default.</value> 0 picks a free port between 12000 and 19999 (the console's embedded silo, tests).</summary>
    public int Port { get; set; } = 11111;

    /// <summary>The gateway port, where consoles connect as Orleans clients. <value>30000 by default.</value> 0 picks a free port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>A name for logs and the dashboard. <value>Empty by default: Orleans makes one from the address.</value></summary>
    public string SiloName { get; set; } = "";
}
