using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Checks the cluster id and secret a peer presents. The secret is compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither its bytes nor its length leak through timing.
/// </summary>
internal sealed class ClusterSecretValidator
{
    private readonly string _clusterId;
    private readonly byte[] _secretDigest;

    public ClusterSecretValidator(IOptions<ClusterOptions> options)
    {
        var value = options.Value;
        if (string.IsNullOrEmpty(value.ClusterSecret))
        {
            throw new InvalidOperationException("A cluster secret is required (Cluster:ClusterSecret, or HPF_Cluster__ClusterSecret in the environment).");
        }
        _clusterId = value.ClusterId;
        _secretDigest = SHA256.HashData(Encoding.UTF8.GetBytes(value.ClusterSecret));
    }

    public CredentialCheck Check(string? clusterId, string? secret)
    {
        if (string.IsNullOrEmpty(clusterId) || string.IsNullOrEmpty(secret))
        {
            return CredentialCheck.Missing;
        }
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var secretMatches = CryptographicOperations.FixedTimeEquals(presented, _secretDigest);
        return secretMatches && string.Equals(clusterId, _clusterId, StringComparison.Ordinal) ? CredentialCheck.Accepted : CredentialCheck.Refused;
    }
}
