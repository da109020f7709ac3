using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// Titles to show beside item ids, from a MovieLens <c>u.item</c> file: <c>id|title|…</c> lines in Latin-1 (the
/// file's own encoding; read as UTF-8 its accented titles would be garbled). Only the first two fields are read.
/// </summary>
internal sealed class ItemTitles
{
    private readonly Dictionary<string, string> _titles;

    private ItemTitles(Dictionary<string, string> titles) => _titles = titles;

    /// <summary>The title of an item id, or null when the file has none for it.</summary>
    public string? Of(string item) => _titles.GetValueOrDefault(item);

    public int Count => _titles.Count;

    /// <exception cref="DataFormatException">A line has no '|', an empty id, or an id given twice.</exception>
    public static ItemTitles Read(string path)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<DataFormatError>();
        long total = 0, line = 0;
        using var reader = new StreamReader(path, Encoding.Latin1);
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var bar = text.IndexOf('|');
            var id = bar < 0 ? "" : text[..bar].Trim();
            (string Field, string Reason)? problem = null;
            if (bar < 0) problem = ("line", "expected id|title|…, found no '|'");
            else if (id.Length == 0) problem = ("id", "the item id is empty");
            else if (firstLine.TryGetValue(id, out var earlier)) problem = ("id", $"item '{id}' already has a title on line {earlier}");
            if (problem is { } bad)
            {
                total++;
                if (errors.Count < DataFormatException.MaxListed) errors.Add(new DataFormatError(path, line, bad.Field, bad.Reason));
                continue;
            }
            var rest = text[(bar + 1)..];
            var end = rest.IndexOf('|');
            titles[id] = (end < 0 ? rest : rest[..end]).Trim();
            firstLine[id] = line;
        }
        if (total > 0) throw new DataFormatException(errors, total);
        return new ItemTitles(titles);
    }
}
