using System.CommandLine;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client;

/// <summary>
/// The words the console uses for enum-valued options (<c>--stop train-llk</c>, <c>--format movielens</c>), one
/// table per enum so that the help text, the parser and the printed defaults never disagree.
/// </summary>
internal static class OptionWords
{
    public static readonly IReadOnlyList<(string Word, StopRule Value)> StopRules =
        [("maxiter", StopRule.MaxIter), ("train-llk", StopRule.TrainLlk), ("val-llk", StopRule.ValLlk), ("diffnorm", StopRule.DiffNorm)];

    public static readonly IReadOnlyList<(string Word, StepSchedule Value)> StepSchedules =
        [("global", StepSchedule.Global), ("per-row", StepSchedule.PerRow)];

    public static readonly IReadOnlyList<(string Word, CountTransform Value)> Transforms =
        [("none", CountTransform.None), ("log1p", CountTransform.Log1p), ("binary", CountTransform.Binary)];

    /// <summary>The words of <c>--model</c>: "poisson" is taken for HPF too.</summary>
    public static readonly IReadOnlyList<(string Word, ModelKind Value)> Models =
        [("hpf", ModelKind.Poisson), ("poisson", ModelKind.Poisson), ("budget", ModelKind.Budget), ("gaussian", ModelKind.Gaussian)];

    public static readonly IReadOnlyList<(string Word, DatasetFormat Value)> Formats =
        [("auto", DatasetFormat.Auto), ("tsv", DatasetFormat.Tsv), ("csv", DatasetFormat.Csv), ("movielens", DatasetFormat.MovieLens), ("lastfm", DatasetFormat.LastFm)];

    /// <summary>A string option that accepts only the table's words (any case), with the given default.</summary>
    public static Option<string> Create<T>(string name, IReadOnlyList<(string Word, T Value)> words, T defaultValue, string description)
        where T : struct, Enum
    {
        var option = new Option<string>(name)
        {
            Description = description,
            DefaultValueFactory = _ => WordOf(words, defaultValue),
            HelpName = string.Join('|', words.Select(w => w.Word)),
        };
        option.Validators.Add(result =>
        {
            var word = result.GetValueOrDefault<string>();
            if (word is not null && !TryParse(words, word, out _))
                result.AddError($"option '{name}' does not accept '{word}'; use one of {string.Join(", ", words.Select(w => w.Word))}");
        });
        return option;
    }

    public static Option<string> Format() =>
        Create("--format", Formats, DatasetFormat.Auto, "layout of the data file; auto goes by the file name");

    /// <summary><c>--header</c>: line 1 of the data files is a header, also in formats that usually have none (TSV, MovieLens).</summary>
    public static Option<bool> Header() =>
        new("--header") { Description = "line 1 of the data files is a header (CSV and Last.fm files may have one without it)" };

    public static T Parse<T>(IReadOnlyList<(string Word, T Value)> words, string word) where T : struct, Enum =>
        TryParse(words, word, out var value) ? value : throw new CommandException(ExitCodes.BadOption, $"'{word}' is not one of {string.Join(", ", words.Select(w => w.Word))}");

    public static string WordOf<T>(IReadOnlyList<(string Word, T Value)> words, T value) where T : struct, Enum
    {
        foreach (var (word, v) in words)
            if (EqualityComparer<T>.Default.Equals(v, value)) return word;
        return value.ToString().ToLowerInvariant();
    }

    private static bool TryParse<T>(IReadOnlyList<(string Word, T Value)> words, string word, out T value) where T : struct, Enum
    {
        foreach (var (w, v) in words)
        {
            if (string.Equals(w, word, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }
}
