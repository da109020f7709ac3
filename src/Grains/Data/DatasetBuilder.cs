using System.Buffers;
using System.Text;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Collects (user, item, count) triplets and builds a <see cref="Dataset"/>: duplicate (user, item)
/// pairs are summed, zero counts dropped, ids given dense indices in ordinal order. Counts are checked
/// by the readers; this class only refuses what would corrupt the model (negative or non-finite).
/// Built for ratings (<see cref="DatasetBuilder(bool)"/>, the Gaussian model), any finite value is kept, zero and
/// negative included, and duplicate pairs are averaged: a rating given twice is one rating, not their sum.
/// </summary>
public sealed class DatasetBuilder : ITripletSink
{
    private readonly bool _ratings;
    private readonly Dictionary<string, int> _users = new(IdTextComparer.Instance);
    private readonly Dictionary<string, int> _items = new(IdTextComparer.Instance);
    private readonly ShortIdTable _shortUsers = new();
    private readonly ShortIdTable _shortItems = new();
    private readonly List<long> _pairs = new();     // (user slot << 32) | item slot
    private readonly List<float> _counts = new();

    public DatasetBuilder()
    {
    }

    /// <param name="ratings">The values are ratings: any finite value is kept and duplicate pairs are averaged.</param>
    public DatasetBuilder(bool ratings) => _ratings = ratings;

    public int Triplets => _pairs.Count;

    /// <summary>
    /// Makes room for about this many triplets (a large file's size over its bytes per line), so that the lists do not
    /// regrow and copy themselves through a long read.
    /// </summary>
    internal void Expect(long triplets)
    {
        var capacity = (int)Math.Clamp(triplets, 0, Array.MaxLength);
        _pairs.EnsureCapacity(capacity);
        _counts.EnsureCapacity(capacity);
    }

    public void Add(string user, string item, double count)
    {
        if (_ratings)
        {
            if (!double.IsFinite(count) || Math.Abs(count) > float.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(count), count, "a rating must be finite and within float32's range");
        }
        else if (!double.IsFinite(count) || count < 0 || count > float.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(count), count, "a count must be finite, ≥ 0 and within float32's range");
        if (count == 0 && !_ratings) return;
        var u = Slot(_users, user);
        var i = Slot(_items, item);
        _pairs.Add(((long)u << 32) | (uint)i);
        _counts.Add((float)count);
    }

    /// <summary>
    /// The slot of a user id given as ASCII bytes, with the key <see cref="KeyOf"/> gave for it, for a reader that adds by
    /// slot; the id's string is made only the first time it is seen (<paramref name="chars"/> is scratch room for its
    /// text). False when the id is not ASCII.
    /// </summary>
    internal bool TryUserSlot(ReadOnlySpan<byte> user, in ShortIdTable.Key key, ref char[] chars, out int slot) => TrySlot(_users, _shortUsers, user, key, ref chars, out slot);

    internal bool TryItemSlot(ReadOnlySpan<byte> item, in ShortIdTable.Key key, ref char[] chars, out int slot) => TrySlot(_items, _shortItems, item, key, ref chars, out slot);

    /// <summary>The inline table's key of an id, or the default key (never found) for an id too long for the table.</summary>
    internal static ShortIdTable.Key KeyOf(ReadOnlySpan<byte> id) => id.Length <= ShortIdTable.MaxBytes ? ShortIdTable.KeyOf(id) : default;

    /// <summary>Asks for the inline table's entries of a user id and an item id that will be looked up a few lines later.</summary>
    internal void Prefetch(in ShortIdTable.Key user, in ShortIdTable.Key item)
    {
        if (user.Length > 0) _shortUsers.Prefetch(user);
        if (item.Length > 0) _shortItems.Prefetch(item);
    }

    private static bool TrySlot(Dictionary<string, int> ids, ShortIdTable shortIds, ReadOnlySpan<byte> id, in ShortIdTable.Key key, ref char[] chars, out int slot)
    {
        var isShort = key.Length > 0;
        if (isShort && (slot = shortIds.Find(key)) >= 0) return true;
        if (chars.Length < id.Length) chars = new char[2 * id.Length];
        if (Ascii.ToUtf16(id, chars, out var written) != OperationStatus.Done)
        {
            slot = -1;
            return false;
        }
        slot = Slot(ids, chars.AsSpan(0, written));
        if (isShort) shortIds.Add(key, slot);
        return true;
    }

    /// <summary>What <see cref="Add"/> does after finding the slots, for a count the reader has checked (finite, &gt; 0, in float32's range).</summary>
    internal void AddSlots(int user, int item, double count)
    {
        _pairs.Add(((long)user << 32) | (uint)item);
        _counts.Add((float)count);
    }

    /// <exception cref="OverflowException">Duplicates of one (user, item) pair sum beyond float32's range.</exception>
    public Dataset Build() => Build([this]);

    /// <summary>
    /// One dataset from builders that took consecutive parts of one input, in its order (a large file read in parts
    /// side by side): the one a single builder taking the whole input builds, since ids are indexed by their rank in
    /// ordinal order and the triplets are taken part after part.
    /// </summary>
    /// <exception cref="OverflowException">Duplicates of one (user, item) pair sum beyond float32's range.</exception>
    /// <exception cref="InvalidDataException">The parts hold more triplets than one array can.</exception>
    /// <param name="releaseParts">Empty the parts as they are taken (a reader's own builders), so that their lists and
    /// ids are garbage while the dataset's arrays are made.</param>
    internal static Dataset Build(IReadOnlyList<DatasetBuilder> parts, bool releaseParts = false)
    {
        var ratings = parts[0]._ratings;
        // Dense index = rank of the id in ordinal order; each part's slot → rank map turns its first-seen slots into it.
        var userIndex = new Dictionary<string, int>[parts.Count];
        var itemIndex = new Dictionary<string, int>[parts.Count];
        for (var p = 0; p < parts.Count; p++)
        {
            userIndex[p] = parts[p]._users;
            itemIndex[p] = parts[p]._items;
        }
        var (userIds, userRank) = Rank(userIndex);
        var (itemIds, itemRank) = Rank(itemIndex);
        if (releaseParts)
        {
            foreach (var part in parts)
            {
                part._users.Clear();
                part._users.TrimExcess();
                part._items.Clear();
                part._items.TrimExcess();
                part._shortUsers.Clear();
                part._shortItems.Clear();
            }
        }
        long total = 0;
        foreach (var part in parts) total += part._pairs.Count;
        if (total > Array.MaxLength)
            throw new InvalidDataException($"the input has {total:N0} nonzero counts, more than one dataset on one machine holds ({Array.MaxLength:N0}); train it on a cluster");
        var n = (int)total;
        var keys = new long[n];
        var values = new float[n];
        var at = 0;
        for (var p = 0; p < parts.Count; p++)
        {
            var pairs = parts[p]._pairs;
            var partCounts = parts[p]._counts;
            var users = userRank[p];
            var items = itemRank[p];
            for (var j = 0; j < pairs.Count; j++, at++)
            {
                var pair = pairs[j];
                keys[at] = ((long)users[(int)(pair >> 32)] << 32) | (uint)items[(int)(uint)pair];
                values[at] = partCounts[j];
            }
            if (releaseParts)
            {
                pairs.Clear();
                pairs.TrimExcess();
                partCounts.Clear();
                partCounts.TrimExcess();
            }
        }
        Array.Sort(keys, values);

        // Duplicates folded in place: the distinct pairs end up first in keys and values, in order, with no second
        // copy of the nonzeros (a 48M load's peak was lists and then arrays of them at once).
        var distinct = 0;
        var copies = 1;
        for (var j = 0; j < n; j++)
        {
            if (distinct > 0 && keys[j] == keys[distinct - 1])
            {
                ref var kept = ref values[distinct - 1];
                if (ratings)
                {
                    // A duplicate rating: the running mean of the pair's ratings, so the order they came in does not matter.
                    copies++;
                    kept += (values[j] - kept) / copies;
                    continue;
                }
                kept += values[j];   // duplicate (user, item): summed, as the README says
                if (float.IsInfinity(kept))
                {
                    throw new OverflowException($"the counts of user '{userIds[(int)(keys[j] >> 32)]}' and item " +
                        $"'{itemIds[(int)(uint)keys[j]]}' sum beyond the float32 range counts are stored in (3.4e38)");
                }
                continue;
            }
            copies = 1;
            keys[distinct] = keys[j];
            values[distinct++] = values[j];
        }
        var rowStart = new int[userIds.Length + 1];
        var other = new int[distinct];
        for (var j = 0; j < distinct; j++)
        {
            rowStart[(int)(keys[j] >> 32) + 1]++;
            other[j] = (int)(uint)keys[j];
        }
        for (var u = 0; u < userIds.Length; u++) rowStart[u + 1] += rowStart[u];
        // Without duplicates the values are the counts as they stand (Resize to the same length keeps the array).
        Array.Resize(ref values, distinct);
        return new Dataset(userIds, itemIds, new SparseRows(rowStart, other, values));
    }

    private static int Slot(Dictionary<string, int> ids, string id)
    {
        if (!ids.TryGetValue(id, out var slot))
        {
            slot = ids.Count;
            ids.Add(id, slot);
        }
        return slot;
    }

    private static int Slot(Dictionary<string, int> ids, ReadOnlySpan<char> id)
    {
        var byText = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!byText.TryGetValue(id, out var slot))
        {
            slot = ids.Count;
            byText.TryAdd(id, slot);
        }
        return slot;
    }

    /// <summary>
    /// The ids of all parts in ordinal order, each once, and per part the rank of each of its slots: each part's ids
    /// sorted (side by side), then merged.
    /// </summary>
    private static (string[] Ids, int[][] RankOfSlot) Rank(Dictionary<string, int>[] parts)
    {
        var sorted = new string[parts.Length][];
        var slots = new int[parts.Length][];
        Parallel.For(0, parts.Length, p =>
        {
            sorted[p] = new string[parts[p].Count];
            slots[p] = new int[parts[p].Count];
            var i = 0;
            foreach (var (id, slot) in parts[p])
            {
                sorted[p][i] = id;
                slots[p][i++] = slot;
            }
            Array.Sort(sorted[p], slots[p], StringComparer.Ordinal);
        });
        var rank = new int[parts.Length][];
        var next = new int[parts.Length];
        var most = 0;
        for (var p = 0; p < parts.Length; p++)
        {
            rank[p] = new int[sorted[p].Length];
            most += sorted[p].Length;
        }
        var ids = new List<string>(parts.Length == 1 ? most : Math.Max(most / 2, 1));
        while (true)
        {
            // The least id at the parts' heads, then every part holding it steps past it.
            string? least = null;
            for (var p = 0; p < parts.Length; p++)
                if (next[p] < sorted[p].Length && (least is null || string.CompareOrdinal(sorted[p][next[p]], least) < 0)) least = sorted[p][next[p]];
            if (least is null) break;
            for (var p = 0; p < parts.Length; p++)
            {
                if (next[p] < sorted[p].Length && string.Equals(sorted[p][next[p]], least, StringComparison.Ordinal))
                    rank[p][slots[p][next[p]++]] = ids.Count;
            }
            ids.Add(least);
        }
        return ([.. ids], rank);
    }
}
