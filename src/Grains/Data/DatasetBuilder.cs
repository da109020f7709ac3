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
    public Dataset Build()
    {
        // Dense index = rank of the id in ordinal order; slot → rank maps turn first-seen slots into it.
        var (userIds, userRank) = Rank(_users);
        var (itemIds, itemRank) = Rank(_items);
        var n = _pairs.Count;
        var keys = new long[n];
        var values = new float[n];
        for (var j = 0; j < n; j++)
        {
            var p = _pairs[j];
            keys[j] = ((long)userRank[(int)(p >> 32)] << 32) | (uint)itemRank[(int)(uint)p];
            values[j] = _counts[j];
        }
        Array.Sort(keys, values);

        var rowStart = new int[userIds.Length + 1];
        var other = new List<int>(n);
        var counts = new List<float>(n);
        long previous = -1;
        var copies = 1;
        for (var j = 0; j < n; j++)
        {
            if (keys[j] == previous && _ratings)
            {
                // A duplicate rating: the running mean of the pair's ratings, so the order they came in does not matter.
                copies++;
                counts[^1] += (values[j] - counts[^1]) / copies;
                continue;
            }
            if (keys[j] == previous)
            {
                counts[^1] += values[j];   // duplicate (user, item): summed, as the README says
                if (float.IsInfinity(counts[^1]))
                {
                    throw new OverflowException($"the counts of user '{userIds[(int)(keys[j] >> 32)]}' and item " +
                        $"'{itemIds[(int)(uint)keys[j]]}' sum beyond the float32 range counts are stored in (3.4e38)");
                }
                continue;
            }
            previous = keys[j];
            copies = 1;
            rowStart[(int)(keys[j] >> 32) + 1]++;
            other.Add((int)(uint)keys[j]);
            counts.Add(values[j]);
        }
        for (var u = 0; u < userIds.Length; u++) rowStart[u + 1] += rowStart[u];
        return new Dataset(userIds, itemIds, new SparseRows(rowStart, other.ToArray(), counts.ToArray()));
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

    private static (string[] Ids, int[] RankOfSlot) Rank(Dictionary<string, int> ids)
    {
        var sorted = new string[ids.Count];
        ids.Keys.CopyTo(sorted, 0);
        Array.Sort(sorted, StringComparer.Ordinal);
        var rank = new int[ids.Count];
        for (var r = 0; r < sorted.Length; r++) rank[ids[sorted[r]]] = r;
        return (sorted, rank);
    }
}
