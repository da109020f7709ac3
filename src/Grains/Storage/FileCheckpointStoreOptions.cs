namespace Hpf.Cluster.Grains.Storage;

/// <summary>Where the local profile keeps checkpoints.</summary>
public sealed class FileCheckpointStoreOptions
{
    /// <summary>
    /// The data directory, created on first write. Defaults to <c>hpf-cluster/checkpoints</c> under the user's local
    /// application data folder (<c>~/.local/share</c> on Linux): outside the build output, so checkpoints survive
    /// rebuilds and restarts. Processes that share checkpoints must be given the same directory.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "hpf-cluster", "checkpoints");
}
