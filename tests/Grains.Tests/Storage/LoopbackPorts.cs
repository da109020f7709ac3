using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>
/// Ports for Azurite, which must be told its ports before it starts. A port the kernel picked (port 0) and
/// the test released could be handed to any outgoing connection or port-0 bind on the machine before Azurite
/// binds it. These come from below the kernel's ephemeral range, which it never hands out on its own, and each is
/// given out once per test run; the start offset differs by process so that test assemblies running side by side
/// rarely walk the same ports.
/// </summary>
internal static class LoopbackPorts
{
    private const int Lowest = 20000;
    private const int Span = 10000;
    private static readonly int Ceiling = Math.Min(Lowest + Span, EphemeralLow());
    private static int s_next = Environment.ProcessId % Span;

    public static int Next()
    {
        for (var attempt = 0; attempt < Span; attempt++)
        {
            var port = Lowest + (int)((uint)Interlocked.Increment(ref s_next) % Span);
            if (port < Ceiling && IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {Lowest}–{Ceiling - 1}");
    }

    private static bool IsFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            probe.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralLow()
    {
        // "32768\t60999" on Linux; without the file, assume the IANA range's start.
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(range))
        {
            var first = File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            if (int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var low))
            {
                return low;
            }
        }
        return 49152;
    }
}
