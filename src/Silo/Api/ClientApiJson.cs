using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The API's JSON: camelCase properties and enums as the console's kebab-case words (<c>train-llk</c>,
/// <c>per-row</c>, <c>completed</c>; StopRule's attributes give <c>maxiter</c> and <c>diffnorm</c>), as in model.json.
/// Clients of this assembly read with the same settings.
/// </summary>
public static class ClientApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the API's settings to <paramref name="options"/> (the host's own, for minimal APIs and OpenAPI).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        // A likelihood of −∞ is a fact worth reporting, not a reason to fail the response.
        options.NumberHandling |= JsonNumberHandling.AllowNamedFloatingPointLiterals;
        // Ids and titles in any script stay readable ("é", not "\u00E9"); the API's JSON is never embedded in HTML.
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return options;
    }
}
