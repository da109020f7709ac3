namespace Hpf.Cluster.Runtime.Transport;

/// <summary>Outcome of checking a peer's cluster credentials: 401 when missing, 403 when wrong.</summary>
internal enum CredentialCheck
{
    Accepted,
    Missing,
    Refused,
}
