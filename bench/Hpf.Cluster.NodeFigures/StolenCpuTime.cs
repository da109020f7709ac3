using System.Globalization;

namespace Hpf.Cluster.NodeFigures;

/// <summary>
/// The share of this VM's CPU time the hypervisor gave to others (the steal column of <c>/proc/stat</c>) over a
/// window. On these VMs it ran from 0 to over 50% within minutes, and it costs two silos pinned to a core each more
/// than one silo with both cores: a stolen core stalls its silo, and the other waits for it at the half-step's end.
/// A figure is only comparable with one measured under a similar share.
/// </summary>
internal readonly record struct StolenCpuTime(long Steal, long Total)
{
    /// <summary>The machine's counters now; zeros where there is no <c>/proc/stat</c> (the share is then reported as 0).</summary>
    public static StolenCpuTime Now()
    {
        const string path = "/proc/stat";
        if (!File.Exists(path)) return default;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0, steal = 0;
            for (var i = 1; i < fields.Length && i <= 8; i++)
            {
                var ticks = long.Parse(fields[i], CultureInfo.InvariantCulture);
                total += ticks;
                if (i == 8) steal = ticks;
            }
            return new StolenCpuTime(steal, total);
        }
        return default;
    }

    /// <summary>Percent of the CPU time since <paramref name="start"/> that was stolen.</summary>
    public double PercentSince(StolenCpuTime start) =>
        Total > start.Total ? 100.0 * (Steal - start.Steal) / (Total - start.Total) : 0;
}
