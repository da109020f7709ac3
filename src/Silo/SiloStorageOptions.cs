namespace Hpf.Cluster.Silo;

/// <summary>Where grain state and checkpoints live (section <c>Storage</c>); which of the two is used follows <see cref="SiloProfile"/>.</summary>
public sealed class SiloStorageOptions
{
    /// <summary>The local profile's directory for grain state and checkpoints. <value><c>data</c> by default, relative to the working directory.</value></summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// The cluster profile's Azure Storage connection string (tables for membership, blobs for state and checkpoints);
    /// <c>UseDevelopmentStorage=true</c> is Azurite on its default ports. Holds an account key: never logged, and best
    /// passed in the environment (<c>HPF_Storage__ConnectionString</c>) rather than on a command line.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The blob container of checkpoints and shard data. <value><c>hpf-checkpoints</c> by default.</value></summary>
    public string CheckpointContainer { get; set; } = "hpf-checkpoints";

    public override string ToString() => $"SiloStorageOptions(DataDirectory={DataDirectory}, ConnectionString={(ConnectionString.Length > 0 ? "(set)" : "(none)")})";
}

/// <summary>The two ways a silo runs (setting <c>Profile</c>).</summary>
public static class SiloProfile
{
    /// <summary>One silo on this machine: localhost clustering, state and checkpoints in files under the data directory.</summary>
    public const string Local = "local";

    /// <summary>Several silos: membership in Azure Table storage, state and checkpoints in Azure Blob storage.</summary>
    public const string Cluster = "cluster";
}
