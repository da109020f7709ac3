namespace Hpf.Cluster.Runtime.Transport;

/// <summary>A connection to a silo failed before the silo sent a byte on it, so no call on it can have run.</summary>
internal sealed class SiloSilentException(IOException? inner)
    : IOException("The silo closed the connection before answering on it.", inner);
