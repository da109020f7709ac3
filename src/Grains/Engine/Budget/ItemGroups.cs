using System.Text;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// The groups of a budget model (artists of songs, authors of articles) over a model's dense items: the group ids in
/// ordinal order, and each item's group as an index into them. Only groups that have an item in the training data
/// are kept, so every group row of the per-group tables has at least one item.
/// </summary>
public sealed class ItemGroups
{
    public ItemGroups(string[] groupIds, int[] itemGroup)
    {
        for (var n = 1; n < groupIds.Length; n++)
            if (string.CompareOrdinal(groupIds[n - 1], groupIds[n]) >= 0) throw new ArgumentException("group ids must be distinct and in ascending ordinal order", nameof(groupIds));
        foreach (var g in itemGroup)
            if ((uint)g >= (uint)groupIds.Length) throw new ArgumentException("an item's group index is out of range", nameof(itemGroup));
        GroupIds = groupIds;
        ItemGroup = itemGroup;
    }

    /// <summary>Group ids in ordinal order; a group's index is its position here.</summary>
    public string[] GroupIds { get; }
    /// <summary>Per dense item, its group's index.</summary>
    public int[] ItemGroup { get; }

    public int Groups => GroupIds.Length;

    /// <summary>The index of a group id, or −1.</summary>
    public int IndexOfGroup(string id)
    {
        var i = Array.BinarySearch(GroupIds, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }

    /// <summary>
    /// <c>item&lt;TAB&gt;group</c> a line for each of <paramref name="itemIds"/> (the model's, in its order), after a header
    /// line <c>item&lt;TAB&gt;group</c> when <paramref name="header"/>: without it, the file is a groups file as train reads one.
    /// </summary>
    /// <exception cref="InvalidDataException">An id with a tab or a line break, which one TSV field cannot hold.</exception>
    public void WriteTsv(Stream stream, string[] itemIds, bool header, CancellationToken cancellationToken = default)
    {
        if (itemIds.Length != ItemGroup.Length) throw new ArgumentException($"{itemIds.Length} item ids for {ItemGroup.Length} items", nameof(itemIds));
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        if (header) writer.Write("item\tgroup\n");
        for (var i = 0; i < itemIds.Length; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            var group = GroupIds[ItemGroup[i]];
            foreach (var id in (ReadOnlySpan<string>)[itemIds[i], group])
            {
                if (id.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)
                    throw new InvalidDataException($"id '{id}' contains a tab or a line break and cannot be exported to TSV");
            }
            writer.Write(itemIds[i]);
            writer.Write('\t');
            writer.Write(group);
            writer.Write('\n');
        }
    }

    /// <summary>Per group, its items in ascending dense order: [Groups + 1] starts and the items.</summary>
    public (int[] Start, int[] Items) ItemsByGroup()
    {
        var start = new int[Groups + 1];
        foreach (var g in ItemGroup) start[g + 1]++;
        for (var g = 0; g < Groups; g++) start[g + 1] += start[g];
        var next = (int[])start.Clone();
        var items = new int[ItemGroup.Length];
        for (var i = 0; i < ItemGroup.Length; i++) items[next[ItemGroup[i]]++] = i;
        return (start, items);
    }
}
