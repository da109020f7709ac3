using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Identity of one silo process: its endpoint plus a generation (the UTC ticks at which it started), so a silo
/// restarted at the same host and port is a different silo and the old one can be declared dead without
/// confusing the two. String form: <c>host:port@generation</c>. Hosts compare ordinally, as the membership
/// table keys them: a silo must announce itself under one spelling of its host.
/// </summary>
public sealed record SiloAddress(string Host, int Port, long Generation) : IComparable<SiloAddress>
{
    public string Host { get; } = ValidHost(Host);

    public int Port { get; } = Port is >= 0 and <= 65535
        ? Port
        : throw new ArgumentOutOfRangeException(nameof(Port), Port, "A port is between 0 and 65535.");

    /// <summary>A new silo identity at the endpoint, with the current time as its generation.</summary>
    public static SiloAddress New(string host, int port, TimeProvider? time = null) =>
        new(host, port, (time ?? TimeProvider.System).GetUtcNow().UtcTicks);

    /// <summary>True when both addresses name the same endpoint, whatever their generations.</summary>
    public bool IsSameEndpoint(SiloAddress other) =>
        Port == other.Port && string.Equals(Host, other.Host, StringComparison.Ordinal);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}@{Generation}");

    public static SiloAddress Parse(string text) =>
        TryParse(text, out var address)
            ? address
            : throw new FormatException($"'{text}' is not a silo address of the form host:port@generation.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SiloAddress? address)
    {
        address = null;
        if (string.IsNullOrEmpty(text)) return false;
        // The host may itself contain ':' (IPv6), so split on the last '@' and then the last ':' before it.
        var at = text.LastIndexOf('@');
        if (at <= 0) return false;
        var colon = text.LastIndexOf(':', at - 1);
        if (colon <= 0) return false;
        if (!int.TryParse(text.AsSpan(colon + 1, at - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > 65535)
            return false;
        if (!long.TryParse(text.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var generation))
            return false;
        address = new SiloAddress(text[..colon], port, generation);
        return true;
    }

    /// <summary>Orders by host, port then generation so every silo sorts a view the same way.</summary>
    public int CompareTo(SiloAddress? other)
    {
        if (other is null) return 1;
        var byHost = string.CompareOrdinal(Host, other.Host);
        if (byHost != 0) return byHost;
        var byPort = Port.CompareTo(other.Port);
        return byPort != 0 ? byPort : Generation.CompareTo(other.Generation);
    }

    private static string ValidHost(string host) =>
        string.IsNullOrWhiteSpace(host) || host.Contains('@')
            ? throw new ArgumentException("A silo host is a non-empty name or IP address without '@'.", nameof(host))
            : host;
}
