namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Message limits every silo and client of a cluster must share.</summary>
public static class HpfMessaging
{
    /// <summary>
    /// Orleans' MaxMessageBodySize on silos and clients alike (a sender and a receiver each check it, and a message
    /// over it closes the connection): 64 MiB. Each side buffers a whole message, so a smaller bound keeps a silo's
    /// transient memory per connection bounded too.
    /// </summary>
    public const int MaxMessageBodySize = 64 << 20;

    /// <summary>
    /// The most bytes of row values one message carries by default (30 MiB): blocks of rows beyond it are pushed or
    /// fetched in parts. A part's exact E[log] rows can add as much again at worst, which stays under
    /// <see cref="MaxMessageBodySize"/>.
    /// </summary>
    public const int MaxRowBlockBytes = 30 << 20;
}
