using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>How shards cut the rows they send each other into messages.</summary>
public sealed class RowTransferOptions
{
    /// <summary>
    /// The most bytes of row values in one push or fetch; more rows go in parts. <value>30 MiB by default
    /// (<see cref="HpfMessaging.MaxRowBlockBytes"/>), so that a message stays under the cluster's 64 MiB limit even
    /// when every row of a part also carries its exact E[log].</value>
    /// </summary>
    public int MaxRowBlockBytes { get; set; } = HpfMessaging.MaxRowBlockBytes;

    /// <summary>How many rows of <paramref name="floatsPerRow"/> floats one message carries.</summary>
    public int RowsPerMessage(int floatsPerRow) => Math.Max(1, MaxRowBlockBytes / (Math.Max(1, floatsPerRow) * sizeof(float)));
}
