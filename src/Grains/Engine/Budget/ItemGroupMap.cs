using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// An item → group file as read (<c>item&lt;TAB&gt;group</c>, one item a line, no header): the map by id, before it
/// meets a dataset. Bad lines are refused with <c>file:line</c> messages, as the ratings reader refuses its own.
/// </summary>
public sealed class ItemGroupMap
{
    private readonly Dictionary<string, string> _groupOf;

    public ItemGroupMap(IReadOnlyDictionary<string, string> groupOf, string source = "groups")
    {
        _groupOf = new Dictionary<string, string>(groupOf, StringComparer.Ordinal);
        Source = source;
    }

    /// <summary>The file (or stream) the map was read from, for messages.</summary>
    public string Source { get; }

    public int Count => _groupOf.Count;

    public IReadOnlyDictionary<string, string> GroupOf => _groupOf;

    /// <exception cref="DataFormatException">A line is not <c>item&lt;TAB&gt;group</c>, or an item is given two groups.</exception>
    public static ItemGroupMap Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path);
    }

    /// <exception cref="DataFormatException">A line is not <c>item&lt;TAB&gt;group</c>, or an item is given two groups.</exception>
    public static ItemGroupMap Read(TextReader reader, string source)
    {
        var groupOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<DataFormatError>();
        long totalErrors = 0;
        long line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0 || text.AsSpan().Trim().IsEmpty) continue;
            var fields = text.Split('\t');
            string? reason = null;
            string field = "line";
            if (fields.Length != 2) reason = $"expected 2 tab-separated fields (item, group), found {fields.Length}";
            else if (fields[0].Trim().Length == 0) (field, reason) = ("item", "the item id is empty");
            else if (fields[1].Trim().Length == 0) (field, reason) = ("group", "the group id is empty");
            else
            {
                var item = fields[0].Trim();
                var group = fields[1].Trim();
                if (groupOf.TryGetValue(item, out var earlier))
                {
                    if (earlier != group) (field, reason) = ("group", $"item '{item}' is already in group '{earlier}' (line {firstLine[item]}); an item belongs to one group");
                }
                else
                {
                    groupOf.Add(item, group);
                    firstLine.Add(item, line);
                }
            }
            if (reason is null) continue;
            totalErrors++;
            if (errors.Count < DataFormatException.MaxListed) errors.Add(new DataFormatError(source, line, field, reason));
        }
        if (totalErrors > 0) throw new DataFormatException(errors, totalErrors);
        if (groupOf.Count == 0) throw new DataFormatException([new DataFormatError(source, 0, "file", "the groups file has no item<TAB>group lines")], 1);
        return new ItemGroupMap(groupOf, source);
    }

    /// <summary>The map a cluster job carries, back as a map (<paramref name="source"/> names it in messages).</summary>
    public static ItemGroupMap FromTable(Interfaces.ItemGroupTable table, string source = "the job's groups")
    {
        var groupOf = new Dictionary<string, string>(table.Items.Length, StringComparer.Ordinal);
        for (var n = 0; n < table.Items.Length; n++) groupOf[table.Items[n]] = table.Groups[n];
        return new ItemGroupMap(groupOf, source);
    }

    /// <summary>
    /// A model read out of the shards with its groups from the job's map (the shards keep only their rows' indices):
    /// what a budget model needs to be saved and served here.
    /// </summary>
    public static HpfModel WithGroups(HpfModel model, Interfaces.ItemGroupTable table) =>
        new(model.Options, model.UserIds, model.ItemIds, model.UserShape, model.UserRate, model.UserActivityRate,
            model.ItemShape, model.ItemRate, model.ItemPopularityRate) { Groups = FromTable(table).Dense(model.ItemIds) };

    /// <summary>The map as it travels with a cluster job, items in ordinal order.</summary>
    public Interfaces.ItemGroupTable ToTable()
    {
        var items = _groupOf.Keys.ToArray();
        Array.Sort(items, StringComparer.Ordinal);
        var groups = new string[items.Length];
        for (var n = 0; n < items.Length; n++) groups[n] = _groupOf[items[n]];
        return new Interfaces.ItemGroupTable(items, groups);
    }

    /// <summary>The items of <paramref name="itemIds"/> this map gives no group, in the given order.</summary>
    public List<string> MissingOf(string[] itemIds)
    {
        var missing = new List<string>();
        foreach (var id in itemIds)
            if (!_groupOf.ContainsKey(id)) missing.Add(id);
        return missing;
    }

    /// <summary>
    /// The groups of a dataset's items (dense, ordinal order). Every item must have a group; the caller reports the
    /// missing ones with their lines first (<see cref="MissingGroupErrors"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An item has no group.</exception>
    public ItemGroups Dense(string[] itemIds)
    {
        var names = new string[itemIds.Length];
        for (var i = 0; i < itemIds.Length; i++)
        {
            if (!_groupOf.TryGetValue(itemIds[i], out var group)) throw new ArgumentException($"item '{itemIds[i]}' has no group in {Source}", nameof(itemIds));
            names[i] = group;
        }
        var groupIds = names.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(groupIds, StringComparer.Ordinal);
        var index = new Dictionary<string, int>(groupIds.Length, StringComparer.Ordinal);
        for (var g = 0; g < groupIds.Length; g++) index.Add(groupIds[g], g);
        var itemGroup = new int[itemIds.Length];
        for (var i = 0; i < itemIds.Length; i++) itemGroup[i] = index[names[i]];
        return new ItemGroups(groupIds, itemGroup);
    }

    /// <summary>
    /// Each missing item as an error at the first line of the ratings file that names it (found by reading the file
    /// again: this runs only when something is wrong), "item 'x' has no group in GROUPS".
    /// </summary>
    public DataFormatException MissingGroupErrors(string ratingsPath, IReadOnlyList<string> missing)
    {
        var lineOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in missing) lineOf[id] = 0;
        if (File.Exists(ratingsPath))
        {
            long line = 0;
            var left = missing.Count;
            foreach (var text in File.ReadLines(ratingsPath))
            {
                line++;
                var fields = text.Split('\t', ',', ' ');
                if (fields.Length >= 2 && lineOf.TryGetValue(fields[1].Trim(), out var seen) && seen == 0)
                {
                    lineOf[fields[1].Trim()] = line;
                    if (--left == 0) break;
                }
            }
        }
        var errors = new List<DataFormatError>();
        // In file order, as the ratings reader lists its own errors.
        foreach (var id in missing.OrderBy(id => lineOf[id] == 0 ? long.MaxValue : lineOf[id]).Take(DataFormatException.MaxListed))
            errors.Add(new DataFormatError(ratingsPath, lineOf[id], "item", $"item '{id}' has no group in {Source}; every item needs an item<TAB>group line"));
        return new DataFormatException(errors, missing.Count);
    }
}
