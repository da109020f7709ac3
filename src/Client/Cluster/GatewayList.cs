using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The gateways a console connects to as an Orleans client, as <c>--cluster</c> and $HPF_CLUSTER give them:
/// <c>host:port[,host:port…]</c> (what <c>deploy/local-cluster.sh start</c> prints). Several let the client go on through
/// another gateway when one is lost.
/// </summary>
internal sealed class GatewayList
{
    /// <summary>The form named in every refusal, so that a user sees what to type.</summary>
    public const string Form = "host:port[,host:port…] (a silo's gateway, 30000 by default, e.g. 127.0.0.1:30000,127.0.0.1:30001)";

    private readonly (string Host, int Port)[] _gateways;

    private GatewayList((string Host, int Port)[] gateways) => _gateways = gateways;

    /// <summary>Parses the option's value; the message of a refusal names <paramref name="origin"/> and the expected form.</summary>
    /// <exception cref="CommandException">Not a list of host:port (exit code <see cref="ExitCodes.BadOption"/>).</exception>
    public static GatewayList Parse(string text, string origin)
    {
        var gateways = new List<(string, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (TryParseOne(part) is not { } gateway)
            {
                var hint = part.Contains("://", StringComparison.Ordinal)
                    ? "; the console now connects to a silo's Orleans gateway, not to its HTTP API"
                    : "";
                throw new CommandException(ExitCodes.BadOption, $"{origin} '{text}': '{part}' is not host:port; expected {Form}{hint}");
            }
            gateways.Add(gateway);
        }
        return new GatewayList([.. gateways]);
    }

    /// <summary>The endpoints, host names resolved (IPv4 first, as the silos advertise IPv4 addresses).</summary>
    /// <exception cref="ClusterApiException">A host name does not resolve (<see cref="ClusterFailure.Unreachable"/>).</exception>
    public async Task<IPEndPoint[]> ResolveAsync(CancellationToken cancellationToken)
    {
        var endpoints = new IPEndPoint[_gateways.Length];
        for (var g = 0; g < _gateways.Length; g++)
        {
            var (host, port) = _gateways[g];
            if (IPAddress.TryParse(host, out var address))
            {
                endpoints[g] = new IPEndPoint(address, port);
                continue;
            }
            IPAddress[] found;
            try
            {
                found = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new ClusterApiException(ClusterFailure.Unreachable, $"cannot reach the cluster at {this}: host '{host}' does not resolve ({e.Message})", inner: e);
            }
            var chosen = found.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).FirstOrDefault()
                ?? throw new ClusterApiException(ClusterFailure.Unreachable, $"cannot reach the cluster at {this}: host '{host}' has no address");
            endpoints[g] = new IPEndPoint(chosen, port);
        }
        return endpoints;
    }

    public override string ToString() => string.Join(",", _gateways.Select(g => g.Host.Contains(':', StringComparison.Ordinal) ? $"[{g.Host}]:{g.Port}" : $"{g.Host}:{g.Port}"));

    private static (string Host, int Port)? TryParseOne(string part)
    {
        // [::1]:30000 for IPv6; otherwise the last colon separates the port.
        string host;
        string port;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf("]:", StringComparison.Ordinal);
            if (close < 2) return null;
            host = part[1..close];
            port = part[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return null;
        }
        else
        {
            var colon = part.LastIndexOf(':');
            if (colon < 1 || part.IndexOf(':') != colon) return null;
            host = part[..colon];
            port = part[(colon + 1)..];
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4)) return null;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535) return null;
        return (host, number);
    }
}
