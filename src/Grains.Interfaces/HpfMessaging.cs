namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Message limits every silo and client of a cluster must share.</summary>
public static class HpfMessaging
{
    /// <summary>
    /// Orleans' MaxMessageBodySize on silos and clients alike (a sender and a receiver each check it, and a message
    /// over it closes the connection). Large transfers are chunked well below it; it is above Orleans' 100 MiB default
    /// so that a row block of a 48M-nonzero job's 200k-user shard fits.
    /// </summary>
    public const int MaxMessageBodySize = 256 << 20;
}
