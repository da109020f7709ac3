using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// (user, item) pairs to predict, from a file of <c>user&lt;TAB&gt;item</c> lines (or <c>user,item</c> when a line has no
/// tab); blank lines are skipped, bad lines reported as <c>file:line: reason</c> with the whole file refused.
/// </summary>
internal static class PairsInput
{
    /// <exception cref="DataFormatException">The file has bad lines, or no pair.</exception>
    public static List<(string User, string Item)> Read(string path)
    {
        var pairs = new List<(string, string)>();
        var errors = new List<DataFormatError>();
        long total = 0, line = 0;
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = text.Contains('\t') ? text.Split('\t') : text.Split(',');
            if (fields.Length == 2 && fields[0].Trim().Length > 0 && fields[1].Trim().Length > 0)
            {
                pairs.Add((fields[0].Trim(), fields[1].Trim()));
                continue;
            }
            total++;
            if (errors.Count < DataFormatException.MaxListed)
                errors.Add(new DataFormatError(path, line, "line", $"expected 2 non-empty fields (user, item), found {fields.Count(f => f.Trim().Length > 0)}"));
        }
        if (total > 0) throw new DataFormatException(errors, total);
        if (pairs.Count == 0) throw new DataFormatException([new DataFormatError(path, 0, "line", "the file has no (user, item) pairs")], 1);
        return pairs;
    }
}
