using Orleans;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>Where the cluster profile keeps checkpoints: one Azure Storage (or Azurite) blob container.</summary>
public sealed class AzureBlobCheckpointStoreOptions
{
    /// <summary>
    /// The storage account's connection string. It carries the account key, so it is redacted wherever Orleans logs
    /// options and left out of <see cref="ToString"/>.
    /// </summary>
    [Redact]
    public string ConnectionString { get; set; } = "";

    /// <summary>The container holding the checkpoints, created on first write if missing. Defaults to "hpf-checkpoints".</summary>
    public string ContainerName { get; set; } = "hpf-checkpoints";

    public override string ToString() => $"{nameof(AzureBlobCheckpointStoreOptions)} {{ {nameof(ContainerName)} = {ContainerName} }}";
}
