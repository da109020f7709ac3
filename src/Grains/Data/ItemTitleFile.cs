namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Item titles from a MovieLens <c>u.item</c>-style file: <c>id|title|…</c> lines, only the first two fields read.
/// The console's <c>--titles</c> and a job's titles upload (<c>PUT /api/jobs/{job}/titles</c>) read it alike.
/// </summary>
public static class ItemTitleFile
{
    /// <exception cref="DataFormatException">A line has no '|', an empty id, or an id given twice; the file is refused whole.</exception>
    public static Dictionary<string, string> Read(TextReader reader, string source)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<DataFormatError>();
        long total = 0, line = 0;
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
                if (errors.Count < DataFormatException.MaxListed) errors.Add(new DataFormatError(source, line, bad.Field, bad.Reason));
                continue;
            }
            var rest = text[(bar + 1)..];
            var end = rest.IndexOf('|');
            titles[id] = (end < 0 ? rest : rest[..end]).Trim();
            firstLine[id] = line;
        }
        if (total > 0) throw new DataFormatException(errors, total);
        return titles;
    }
}
