using System.Text.RegularExpressions;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// Finds test code that returns early when an environment variable is missing: such a test passes without doing its
/// work on any machine that lacks the variable. A text scan (no Roslyn): a variable read from
/// <c>Environment.GetEnvironmentVariable</c>, or the call itself, tested for null or empty by an <c>if</c> whose body
/// starts with <c>return</c>.
/// </summary>
internal static partial class EnvironmentGuardScan
{
    /// <summary>Every offending line of <paramref name="source"/> as "line N: text".</summary>
    public static IReadOnlyList<string> Find(string source)
    {
        var found = new List<string>();
        foreach (Match guard in DirectGuard().Matches(source)) found.Add(Describe(source, guard.Index));
        foreach (Match read in VariableRead().Matches(source))
        {
            var name = Regex.Escape(read.Groups["name"].Value);
            var guard = new Regex(
                @"if\s*\(\s*(?:string\.IsNullOr(?:Empty|WhiteSpace)\(\s*" + name + @"\s*\)|" + name +
                @"\s*(?:is\s+null|==\s*null|is\s+not\s*\{\s*\}|==\s*""""|is\s+""""))\s*\)\s*\{?\s*return\b");
            foreach (Match m in guard.Matches(source, read.Index)) found.Add(Describe(source, m.Index));
        }
        return found;
    }

    /// <summary>Scans every .cs file under <paramref name="testsDirectory"/> except build output; "path:line: text" per offence.</summary>
    public static IReadOnlyList<string> FindIn(string testsDirectory)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(testsDirectory, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(testsDirectory, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj")) continue;
            foreach (var offence in Find(File.ReadAllText(file))) found.Add($"{relative}: {offence}");
        }
        return found;
    }

    private static string Describe(string source, int index)
    {
        var line = 1;
        for (var i = 0; i < index; i++)
        {
            if (source[i] == '\n') line++;
        }
        var start = source.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var end = source.IndexOf('\n', index);
        return $"line {line}: {source[start..(end < 0 ? source.Length : end)].Trim()}";
    }

    /// <summary>The call itself tested for null (or by IsNullOrEmpty / IsNullOrWhiteSpace) with <c>return</c> as the if's body.</summary>
    [GeneratedRegex(@"if\s*\(\s*(?:string\.IsNullOr(?:Empty|WhiteSpace)\(\s*)?Environment\.GetEnvironmentVariable\([^()]*(?:\([^()]*\))?[^()]*\)\s*(?:is\s+null|==\s*null)?\s*\)?\s*\)\s*\{?\s*return\b")]
    private static partial Regex DirectGuard();

    /// <summary><c>var x = Environment.GetEnvironmentVariable(…)</c>; its guards are looked for after it.</summary>
    [GeneratedRegex(@"(?:var|string\??)\s+(?<name>[A-Za-z_]\w*)\s*=\s*Environment\.GetEnvironmentVariable\(")]
    private static partial Regex VariableRead();
}
