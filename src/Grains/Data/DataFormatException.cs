using System.Text;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// An input file had bad lines, so no dataset was built: training on the lines that happened to parse would
/// silently fit a different dataset from the one the user named. The message lists every error up to
/// <see cref="MaxListed"/>, then how many more there were.
/// </summary>
[GenerateSerializer, Alias("hpf.DataFormatException")]
public sealed class DataFormatException : Exception
{
    /// <summary>At most this many errors are kept and listed; a file of garbage should not fill memory with them.</summary>
    public const int MaxListed = 100;

    public DataFormatException(IReadOnlyList<DataFormatError> errors, long totalErrors)
        : base(Compose(errors, totalErrors))
    {
        if (errors.Count == 0) throw new ArgumentException("a format error needs at least one error", nameof(errors));
        Errors = errors;
        TotalErrors = totalErrors;
    }

    /// <summary>The first <see cref="MaxListed"/> errors in file order.</summary>
    [Id(0)]
    public IReadOnlyList<DataFormatError> Errors { get; }

    /// <summary>All errors found, including those beyond <see cref="MaxListed"/>.</summary>
    [Id(1)]
    public long TotalErrors { get; }

    private static string Compose(IReadOnlyList<DataFormatError> errors, long totalErrors)
    {
        if (errors.Count == 0) return "no errors";
        if (totalErrors == 1) return errors[0].ToString();
        var text = new StringBuilder();
        text.Append(errors[0].File).Append(": ").Append(totalErrors).Append(" errors; no dataset was built");
        foreach (var error in errors) text.Append('\n').Append(error);
        if (totalErrors > errors.Count) text.Append('\n').Append("and ").Append(totalErrors - errors.Count).Append(" more");
        return text.ToString();
    }
}
