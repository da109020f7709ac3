using System.Text;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Item titles from either of two shapes, told apart by the first non-blank line: <c>id&lt;TAB&gt;title</c> (a tab on
/// that line; an optional header such as <c>item_id&lt;TAB&gt;title</c>) or MovieLens' <c>u.item</c>
/// (<c>id|title|…</c>, only the first two fields read). The console's <c>--titles</c> and a job's titles upload
/// (<c>PUT /api/jobs/{job}/titles</c>) read it alike.
/// </summary>
public static class ItemTitleFile
{
    /// <exception cref="DataFormatException">A line without its separator, an empty id, or an id given twice; the file is refused whole.</exception>
    public static Dictionary<string, string> Read(TextReader reader, string source)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<DataFormatError>();
        long total = 0, line = 0;
        bool? tabSeparated = null;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            tabSeparated ??= text.Contains('\t');
            var separator = tabSeparated.Value ? '\t' : '|';
            var cut = text.IndexOf(separator);
            var id = cut < 0 ? "" : text[..cut].Trim().TrimStart('\uFEFF');
            if (tabSeparated.Value && firstLine.Count == 0 && total == 0 && IsHeaderId(id)) continue;
            (string Field, string Reason)? problem = null;
            if (cut < 0) problem = ("line", tabSeparated.Value ? "expected id<TAB>title, found no tab" : "expected id|title|… (MovieLens u.item), found no '|'");
            else if (id.Length == 0) problem = ("id", "the item id is empty");
            else if (firstLine.TryGetValue(id, out var earlier)) problem = ("id", $"item '{id}' already has a title on line {earlier}");
            if (problem is { } bad)
            {
                total++;
                if (errors.Count < DataFormatException.MaxListed) errors.Add(new DataFormatError(source, line, bad.Field, bad.Reason));
                continue;
            }
            var rest = text[(cut + 1)..];
            var end = rest.IndexOf(separator);
            titles[id] = (end < 0 ? rest : rest[..end]).Trim();
            firstLine[id] = line;
        }
        if (total > 0) throw new DataFormatException(errors, total);
        return titles;
    }

    /// <summary>
    /// The encoding a titles file is read in when none is named: UTF-8 for an <c>id&lt;TAB&gt;title</c> file (a tab on the
    /// first non-blank line; a tab is the same byte in UTF-8 and Latin-1), Latin-1 for MovieLens' <c>u.item</c>, its own
    /// (read as UTF-8 its accented titles would be garbled). Looks at the first 4 KiB and puts the stream back where it was.
    /// </summary>
    public static Encoding DefaultEncoding(Stream seekable)
    {
        var start = seekable.Position;
        Span<byte> buffer = stackalloc byte[4096];
        var read = seekable.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        seekable.Position = start;
        var sawText = false;
        foreach (var b in buffer[..read])
        {
            if (b == (byte)'\t') return new UTF8Encoding(false, true);
            if (b == (byte)'\n' && sawText) break;
            if (b is not ((byte)' ' or (byte)'\r' or (byte)'\n')) sawText = true;
        }
        return Encoding.Latin1;
    }

    /// <summary>A header's first field names the id column ("id", "item", "item_id"); a real id has a digit or is not such a name.</summary>
    private static bool IsHeaderId(string id)
    {
        if (id.Equals("item", StringComparison.OrdinalIgnoreCase)) return true;
        if (!id.EndsWith("id", StringComparison.OrdinalIgnoreCase)) return false;
        foreach (var c in id) if (char.IsDigit(c)) return false;
        return true;
    }
}
