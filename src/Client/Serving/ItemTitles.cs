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
        using var reader = new StreamReader(path, Encoding.Latin1);
        return new ItemTitles(ItemTitleFile.Read(reader, path));
    }
}
