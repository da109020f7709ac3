using System.Text.RegularExpressions;

namespace Hpf.Cluster.Client;

/// <summary>
/// System.CommandLine's parse errors in the console's words: "Cannot parse argument 'abc' for option '--k' as expected
/// type 'System.Int32'" becomes "option '--k' needs a whole number, got 'abc'". No .NET type name reaches the user.
/// </summary>
internal static partial class ParseErrorText
{
    public static string Of(string message)
    {
        if (CannotParse().Match(message) is { Success: true } m)
        {
            var what = m.Groups["kind"].Value == "option" ? $"option '{m.Groups["name"].Value}'" : $"argument {m.Groups["name"].Value}";
            return $"{what} needs {KindOf(m.Groups["type"].Value)}, got '{m.Groups["value"].Value}'";
        }
        return TypeName().Replace(message, "a value");
    }

    private static string KindOf(string type)
    {
        // Nullable`1[System.Int32] (an optional option) names its inner type.
        var name = InnerType().Match(type) is { Success: true } inner ? inner.Value : type;
        return name switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
            "System.UInt32" or "System.UInt64" or "System.UInt16" or "System.Byte" => "a whole number ≥ 0",
            "System.Double" or "System.Single" or "System.Decimal" => "a number (like 0.3 or 1e-3)",
            "System.Boolean" => "true or false",
            _ => "a value of another kind",
        };
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>[^']*)' for (?<kind>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"System\.(?!Nullable)\w+")]
    private static partial Regex InnerType();

    [GeneratedRegex(@"'?\b(?:System|Hpf)(?:\.[\w`]+)+(?:\[\[[^\]]*\]\])?'?")]
    private static partial Regex TypeName();
}
