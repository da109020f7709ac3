using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// ASP.NET Core's messages for a request it could not bind (a query value of the wrong kind, a JSON body that does not
/// fit) name .NET types (<c>int? k</c>, <c>Hpf.Cluster.Silo.Api.RecommendRequest</c>); clients of the API in any
/// language get them in plain words instead, naming the parameter or JSON path at fault.
/// </summary>
internal static partial class RequestErrorText
{
    public static string Of(BadHttpRequestException bad)
    {
        if (FindJsonError(bad) is { } json) return OfJson(json);
        if (BindFailure().Match(bad.Message) is { Success: true } bind)
            return $"parameter '{bind.Groups["name"].Value}' needs {KindOf(bind.Groups["type"].Value)}, got '{bind.Groups["value"].Value}'";
        if (Missing().Match(bad.Message) is { Success: true } missing)
            return $"parameter '{missing.Groups["name"].Value}' is required";
        if (bad.Message.Contains("request body", StringComparison.OrdinalIgnoreCase))
            return "the request body could not be read as the JSON this request takes";
        return WithoutTypeNames(bad.Message);
    }

    private static JsonException? FindJsonError(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json) return json;
        }
        return null;
    }

    private static string OfJson(JsonException json)
    {
        var at = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "" : $" at {json.Path}";
        if (Unmapped().Match(json.Message) is { Success: true } unmapped)
            return $"the JSON property '{unmapped.Groups["name"].Value}' could not be mapped to any field of this request";
        if (json.Message.Contains("could not be converted", StringComparison.Ordinal))
            return $"a JSON value{at} could not be converted: it is of the wrong kind (a number, a string, true/false, a list or an object where another is expected) or not one of the words it accepts (the OpenAPI document lists them)";
        return $"the request body is not well-formed JSON{at}";
    }

    private static string KindOf(string type) => Unwrapped(type) switch
    {
        "int" or "long" or "short" or "uint" or "ulong" or "Int32" or "Int64" => "a whole number",
        "double" or "float" or "decimal" or "Double" or "Single" => "a number",
        "bool" or "Boolean" => "true or false",
        _ => "a value of another kind",
    };

    /// <summary><c>Nullable&lt;int&gt;</c>, <c>int?</c> and <c>System.Int32</c> as the bare name.</summary>
    private static string Unwrapped(string type)
    {
        var name = type.TrimEnd('?');
        if (name.StartsWith("Nullable<", StringComparison.Ordinal) && name.EndsWith('>')) name = name[9..^1];
        var dot = name.LastIndexOf('.');
        return dot >= 0 ? name[(dot + 1)..] : name;
    }

    /// <summary>A fallback for messages not matched above: every dotted or generic .NET type name goes.</summary>
    private static string WithoutTypeNames(string message) => TypeName().Replace(message, "a value");

    [GeneratedRegex("""Failed to bind parameter "(?<type>[^"]+?) (?<name>\w+)" from "(?<value>[^"]*)"\.""")]
    private static partial Regex BindFailure();

    [GeneratedRegex("""Required parameter "(?<type>[^"]+?) (?<name>\w+)" was not provided""")]
    private static partial Regex Missing();

    [GeneratedRegex("""The JSON property '(?<name>[^']+)' could not be mapped""")]
    private static partial Regex Unmapped();

    [GeneratedRegex(@"'?\b(?:System|Hpf|Microsoft)(?:\.[\w`]+)+(?:\[[^\]]*\]|<[^>]*>)?'?")]
    private static partial Regex TypeName();
}
