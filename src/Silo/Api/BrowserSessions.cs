using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// Signs browsers in to the jobs page and the dashboard, whose requests cannot carry the API key header (a browser
/// sends no custom header on a page load). Two signed values, each an expiry time plus an HMAC-SHA256 keyed by a digest
/// of the API key, so every silo of the cluster checks them without shared state and a new API key voids them all:
/// <list type="bullet">
/// <item>a sign-in link token (<see cref="NewLinkToken"/>), minted for a caller that has the key (deploy/local-cluster.sh),
/// good for <see cref="LinkLifetime"/> and once on this silo;</item>
/// <item>the session cookie the silo sets in exchange for that token or for the key itself (<see cref="NewCookieValue"/>):
/// HttpOnly, SameSite=Strict, good for <see cref="SessionLifetime"/>.</item>
/// </list>
/// </summary>
public sealed class BrowserSessions
{
    public const string CookieName = "hpf-session";

    /// <summary>A sign-in link is for opening now: minutes, not hours.</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(15);

    /// <summary>A working day; then the browser signs in again.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    private const string LinkPurpose = "hpf sign-in link";
    private const string CookiePurpose = "hpf browser session";

    private readonly byte[] _signingKey;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _usedLinks = new(StringComparer.Ordinal);

    public BrowserSessions(IOptions<ClientApiOptions> options, TimeProvider clock)
    {
        var key = options.Value.ApiKey;
        if (string.IsNullOrEmpty(key)) throw new InvalidOperationException("An API key is required (Api:ApiKey) to sign browser sessions.");
        // Not the key itself: a cookie that leaked proves nothing about the key's bytes.
        _signingKey = SHA256.HashData(Encoding.UTF8.GetBytes("hpf browser signing key\n" + key));
        _clock = clock;
    }

    /// <summary>A token for a sign-in link (<c>/#login=TOKEN</c>), with when it expires.</summary>
    public (string Token, DateTimeOffset Expires) NewLinkToken()
    {
        var expires = _clock.GetUtcNow() + LinkLifetime;
        return (Sign(LinkPurpose, expires, RandomNumberGenerator.GetBytes(16)), expires);
    }

    /// <summary>True, once, for a link token this cluster signed that has not expired; a second use on this silo is refused.</summary>
    public bool RedeemLinkToken(string token)
    {
        var now = _clock.GetUtcNow();
        if (Verify(LinkPurpose, token) is not { } expires || expires <= now) return false;
        foreach (var (used, until) in _usedLinks)
        {
            if (until <= now) _usedLinks.TryRemove(used, out _);
        }
        return _usedLinks.TryAdd(token, expires);
    }

    /// <summary>A session cookie's value, with when it expires.</summary>
    public (string Value, DateTimeOffset Expires) NewCookieValue()
    {
        var expires = _clock.GetUtcNow() + SessionLifetime;
        return (Sign(CookiePurpose, expires, RandomNumberGenerator.GetBytes(8)), expires);
    }

    /// <summary>True for a session cookie this cluster signed that has not expired.</summary>
    public bool IsValidCookie(string value) => Verify(CookiePurpose, value) is { } expires && expires > _clock.GetUtcNow();

    private string Sign(string purpose, DateTimeOffset expires, byte[] nonce)
    {
        var payload = new byte[8 + nonce.Length];
        BitConverter.TryWriteBytes(payload, expires.ToUnixTimeSeconds());
        nonce.CopyTo(payload, 8);
        return WebEncoders.Base64UrlEncode(payload) + "." + WebEncoders.Base64UrlEncode(Mac(purpose, payload));
    }

    /// <returns>The expiry of a value this cluster signed for <paramref name="purpose"/>; null for anything else.</returns>
    private DateTimeOffset? Verify(string purpose, string value)
    {
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || value.Length > 200) return null;
        byte[] payload, mac;
        try
        {
            payload = WebEncoders.Base64UrlDecode(value, 0, dot);
            mac = WebEncoders.Base64UrlDecode(value, dot + 1, value.Length - dot - 1);
        }
        catch (FormatException)
        {
            return null;
        }
        if (payload.Length < 8 || !CryptographicOperations.FixedTimeEquals(mac, Mac(purpose, payload))) return null;
        return DateTimeOffset.FromUnixTimeSeconds(BitConverter.ToInt64(payload, 0));
    }

    private byte[] Mac(string purpose, byte[] payload)
    {
        byte[] message = [.. Encoding.UTF8.GetBytes(purpose + "\n"), .. payload];
        return HMACSHA256.HashData(_signingKey, message);
    }
}
