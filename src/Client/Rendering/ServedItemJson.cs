using System.Text.Json.Serialization;

namespace Hpf.Cluster.Client.Rendering;

// The rows of the serving commands' JSON; "title" appears only with --titles (and an item the file names).

/// <summary>A ranked item: recommend, fold-in.</summary>
internal sealed record RankedItemJson(
    string Item,
    double Score,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title);

/// <summary>A predicted pair: predict --pairs.</summary>
internal sealed record PredictionJson(
    string User,
    string Item,
    double Score,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? StandardDeviation = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool FromPrior = false);
