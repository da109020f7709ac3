using Orleans.Storage;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>Where the local profile's <see cref="FileGrainStorage"/> keeps small grain state.</summary>
public sealed class FileGrainStorageOptions
{
    /// <summary>
    /// The data directory, created on first write. Defaults to <c>hpf-cluster/grain-state</c> under the user's local
    /// application data folder (<c>~/.local/share</c> on Linux), outside the build output so state survives rebuilds.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "hpf-cluster", "grain-state");

    /// <summary>The serializer for this provider only; null uses the silo's <see cref="IGrainStorageSerializer"/>.</summary>
    public IGrainStorageSerializer? GrainStorageSerializer { get; set; }
}
