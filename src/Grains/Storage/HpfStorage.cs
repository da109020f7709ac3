namespace Hpf.Cluster.Grains.Storage;

/// <summary>The names the grains' storage is registered under.</summary>
public static class HpfStorage
{
    /// <summary>Orleans grain storage for small state (jobs, the registry), with Orleans' binary serializer.</summary>
    public const string StateProvider = "hpf";
}
