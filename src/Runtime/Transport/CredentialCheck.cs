namespace Hpf.Cluster.Runtime.Transport;

/// <summary>Outcome of checking a peer's cluster credentials; a silo sends it back in a Refused frame.</summary>
internal enum CredentialCheck
{
    Accepted,
    Missing,
    Refused,
}
