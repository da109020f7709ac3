using System.Globalization;

namespace Hpf.Cluster.Benchmarks;

/// <summary>The bench modes' <c>--name value</c> options: every name must be known, so a misspelt one is refused rather than ignored.</summary>
internal static class CommandLineWords
{
    public static Dictionary<string, string> Parse(string[] args, string[] known, string mode)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var j = 0; j < args.Length; j++)
        {
            if (!args[j].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[j]}'");
            var name = args[j][2..];
            // A misspelt option would otherwise be ignored and the default job measured in its place.
            if (Array.IndexOf(known, name) < 0) throw new ArgumentException($"unknown option '--{name}'; {mode} takes --{string.Join(", --", known)}");
            var hasValue = j + 1 < args.Length && !args[j + 1].StartsWith("--", StringComparison.Ordinal);
            options[name] = hasValue ? args[++j] : "true";
        }
        return options;
    }

    public static int Get(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
