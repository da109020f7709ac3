namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>Whether the silo is being stopped abruptly (tests kill silos in process to imitate a crash).</summary>
internal sealed class SiloLifecycle
{
    public volatile bool Killed;
}
