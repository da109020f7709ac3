using Hpf.Cluster.Grains.Storage;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// What a test cluster's silos share and what outlives a cluster: the local profile's storage (grain state and
/// checkpoints in files under one temporary directory), so a second cluster on the same storage is a restart.
/// </summary>
internal sealed class ClusterStorage : IDisposable
{
    public ClusterStorage()
    {
        Directory = Path.Combine(Path.GetTempPath(), "hpf-cluster-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Checkpoints = new FileCheckpointStore(new FileCheckpointStoreOptions { Directory = CheckpointDirectory });
    }

    public string Directory { get; }

    public string StateDirectory => Path.Combine(Directory, "state");

    public string CheckpointDirectory => Path.Combine(Directory, "checkpoints");

    public ICheckpointStore Checkpoints { get; }

    /// <summary>Every file the checkpoint store holds, relative to its directory.</summary>
    public string[] CheckpointFiles() =>
        System.IO.Directory.Exists(CheckpointDirectory)
            ? [.. System.IO.Directory.EnumerateFiles(CheckpointDirectory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(CheckpointDirectory, f))]
            : [];

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A silo still closing a file: the temporary directory is cleaned by the system later.
        }
    }
}
