using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// Checks the key a client presents against <see cref="ClientApiOptions.ApiKey"/>, as SHA-256 digests compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>: neither the key's bytes nor its length leak through timing.
/// </summary>
public sealed class ApiKeyValidator
{
    private readonly byte[] _keyDigest;

    public ApiKeyValidator(IOptions<ClientApiOptions> options)
    {
        var key = options.Value.ApiKey;
        if (string.IsNullOrEmpty(key))
        {
            throw new InvalidOperationException($"An API key is required (Api:ApiKey, or HPF_Api__ApiKey in the environment).");
        }
        _keyDigest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    public bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _keyDigest);
}
