using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// Titles to show beside item ids, from either of two files, told apart by their first line:
/// a titles file of <c>id&lt;TAB&gt;title</c> lines in UTF-8 (any further fields ignored), whose line 1 may be a header
/// (its id field is <c>id</c>, <c>item</c> or ends in <c>id</c>, as in <c>movieId</c> or <c>item_id</c>); or MovieLens'
/// <c>u.item</c>, <c>id|title|…</c> lines in Latin-1 (the file's own encoding; read as UTF-8 its accented titles would be
/// garbled). A file whose first line has a tab is the former.
/// </summary>
internal sealed class ItemTitles
{
    private readonly Dictionary<string, string> _titles;

    private ItemTitles(Dictionary<string, string> titles) => _titles = titles;

    /// <summary>The title of an item id, or null when the file has none for it.</summary>
    public string? Of(string item) => _titles.GetValueOrDefault(item);

    public int Count => _titles.Count;

    /// <exception cref="DataFormatException">A line without its separator, an empty id, or an id given twice.</exception>
    public static ItemTitles Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(stream, ItemTitleFile.DefaultEncoding(stream));
        return new ItemTitles(ItemTitleFile.Read(reader, path));
    }
}
