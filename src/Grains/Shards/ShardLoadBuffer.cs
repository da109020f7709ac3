using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// The triplets a shard has received, before the seal: ids are given slots as they arrive (a dictionary per shard,
/// never a global one), pairs are kept as (row slot, counterpart slot) with their counts. Training and validation
/// triplets are kept apart; a validation row that never appears in training is an unknown user.
/// </summary>
internal sealed class ShardLoadBuffer
{
    private readonly Dictionary<string, int> _rowSlots = new(StringComparer.Ordinal);
    private readonly List<string> _rowIds = [];
    private readonly Dictionary<string, int> _otherSlots = new(StringComparer.Ordinal);
    private readonly List<string> _otherIds = [];
    private readonly List<int> _otherShards = [];
    private readonly List<long> _pairs = [];
    private readonly List<float> _counts = [];
    private readonly List<long> _validationPairs = [];
    private readonly List<float> _validationCounts = [];

    public long Triplets => _pairs.Count;
    public long ValidationTriplets => _validationPairs.Count;

    public void Add(TripletChunk chunk)
    {
        var n = chunk.RowIds.Length;
        if (chunk.OtherIds.Length != n || chunk.Counts.Length != n || chunk.OtherShards.Length != n)
            throw new ArgumentException("a triplet chunk needs one row id, counterpart id, count and counterpart shard per triplet");
        var pairs = chunk.Kind == DataSetKind.Training ? _pairs : _validationPairs;
        var counts = chunk.Kind == DataSetKind.Training ? _counts : _validationCounts;
        for (var t = 0; t < n; t++)
        {
            var y = chunk.Counts[t];
            // Any finite value: a Gaussian job's ratings may be 0 or negative; an HPF job's counts are checked at the seal.
            if (!float.IsFinite(y)) throw new ArgumentException($"triplet ({chunk.RowIds[t]}, {chunk.OtherIds[t]}) has count {y}; the reader passes only finite values");
            var shard = chunk.OtherShards[t];
            if (shard < 0) throw new ArgumentException($"counterpart shard {shard} of '{chunk.OtherIds[t]}'");
            var row = Slot(_rowSlots, _rowIds, chunk.RowIds[t]);
            var other = OtherSlot(chunk.OtherIds[t], shard);
            pairs.Add(((long)row << 32) | (uint)other);
            counts.Add(y);
        }
    }

    /// <summary>Seal, phase 1: ranks ids in ordinal order, sums duplicate pairs and builds the rows.</summary>
    /// <exception cref="OverflowException">Duplicates of one pair sum beyond float32's range.</exception>
    /// <param name="transform">Applied to each pair's summed count, training and validation alike, as the in-process trainer does.</param>
    /// <param name="ratings">The values are ratings (the Gaussian model): any finite value, and a duplicate pair is averaged, not summed.</param>
    public IndexedShard Index(string side, string counterpartSide, int otherShards, CountTransform transform, bool ratings = false)
    {
        if (!ratings)
        {
            foreach (var y in _counts)
            {
                if (!(y > 0)) throw new ArgumentException($"a triplet has count {y}; the reader passes only counts > 0 to an HPF job");
            }
        }
        foreach (var shard in _otherShards)
        {
            if (shard >= otherShards) throw new ArgumentException($"a counterpart was sent as of shard {shard}, but the other side has {otherShards} shards");
        }
        // Rows are the ids with training nonzeros; the others (validation only) are unknown.
        var rowRank = RankSlots(_rowIds, _pairs, slotOfPair: p => (int)(p >> 32), out var ids);
        var otherRank = RankSlots(_otherIds, _pairs, slotOfPair: p => (int)(uint)p, out var otherIds);
        var otherShardByRank = new int[otherIds.Length];
        for (var slot = 0; slot < otherRank.Length; slot++)
        {
            if (otherRank[slot] >= 0) otherShardByRank[otherRank[slot]] = _otherShards[slot];
        }

        var (keys, values) = SortedPairs(_pairs, _counts, p => ((long)rowRank[(int)(p >> 32)] << 32) | (uint)otherRank[(int)(uint)p]);
        var rowStart = new int[ids.Length + 1];
        var others = new List<int>(keys.Length);
        var counts = new List<float>(keys.Length);
        long previous = -1;
        var copies = 1;
        for (var j = 0; j < keys.Length; j++)
        {
            if (keys[j] == previous && ratings)
            {
                // A rating given twice: the running mean, as the engine's reader averages duplicates.
                copies++;
                counts[^1] += (values[j] - counts[^1]) / copies;
                continue;
            }
            if (keys[j] == previous)
            {
                counts[^1] += values[j];   // a duplicate (row, counterpart) pair: summed, as the engine does
                if (float.IsInfinity(counts[^1]))
                {
                    throw new OverflowException($"the counts of {side} '{ids[(int)(keys[j] >> 32)]}' and {counterpartSide} " +
                        $"'{otherIds[(int)(uint)keys[j]]}' sum beyond the float32 range counts are stored in (3.4e38)");
                }
                continue;
            }
            previous = keys[j];
            copies = 1;
            rowStart[(int)(keys[j] >> 32) + 1]++;
            others.Add((int)(uint)keys[j]);
            counts.Add(values[j]);
        }
        for (var r = 0; r < ids.Length; r++) rowStart[r + 1] += rowStart[r];
        var summed = counts.ToArray();
        CountTransforms.ApplyInPlace(transform, summed);

        var validation = IndexValidation(rowRank, otherRank, transform);
        return new IndexedShard(ids, rowStart, others.ToArray(), summed, otherIds, otherShardByRank, _pairs.Count, validation);
    }

    private IndexedValidation IndexValidation(int[] rowRank, int[] otherRank, CountTransform transform)
    {
        // Duplicates summed first, as the engine's held-out set is built from a dataset that summed them.
        var (keys, values) = SortedPairs(_validationPairs, _validationCounts, p => p);
        var rows = new List<int>();
        var otherSlots = new List<int>();
        var counts = new List<float>();
        long unknownUser = 0;
        long previous = -1;
        for (var j = 0; j < keys.Length; j++)
        {
            if (keys[j] == previous)
            {
                counts[^1] += values[j];
                continue;
            }
            previous = keys[j];
            var row = rowRank[(int)(keys[j] >> 32)];
            if (row < 0)
            {
                unknownUser++;
                previous = keys[j];
                // A later duplicate of this pair must not be counted again: keep it out of the lists but remembered.
                rows.Add(-1);
                otherSlots.Add(-1);
                counts.Add(0);
                continue;
            }
            rows.Add(row);
            otherSlots.Add((int)(uint)keys[j]);
            counts.Add(values[j]);
        }

        // Counterparts seen only in validation: resolved with their shards at the link, in ordinal order.
        var validationOnly = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var slot in otherSlots)
        {
            if (slot >= 0 && otherRank[slot] < 0) validationOnly[_otherIds[slot]] = _otherShards[slot];
        }
        var onlyIds = new string[validationOnly.Count];
        var onlyShards = new int[validationOnly.Count];
        var index = new Dictionary<string, int>(validationOnly.Count, StringComparer.Ordinal);
        var v = 0;
        foreach (var (id, shard) in validationOnly)
        {
            onlyIds[v] = id;
            onlyShards[v] = shard;
            index[id] = v++;
        }

        var keptRows = new List<int>(rows.Count);
        var keptOthers = new List<int>(rows.Count);
        var keptCounts = new List<float>(rows.Count);
        for (var j = 0; j < rows.Count; j++)
        {
            if (rows[j] < 0) continue;
            var slot = otherSlots[j];
            keptRows.Add(rows[j]);
            // Training counterparts by rank; validation-only ones as −(index + 1).
            keptOthers.Add(otherRank[slot] >= 0 ? otherRank[slot] : -(index[_otherIds[slot]] + 1));
            keptCounts.Add(counts[j]);
        }
        var validationCounts = keptCounts.ToArray();
        CountTransforms.ApplyInPlace(transform, validationCounts);
        return new IndexedValidation(keptRows.ToArray(), keptOthers.ToArray(), validationCounts, onlyIds, onlyShards, unknownUser);
    }

    private int OtherSlot(string id, int shard)
    {
        if (_otherSlots.TryGetValue(id, out var slot))
        {
            if (_otherShards[slot] != shard) throw new ArgumentException($"'{id}' was sent once as of shard {_otherShards[slot]} and once as of shard {shard}");
            return slot;
        }
        slot = _otherIds.Count;
        _otherSlots.Add(id, slot);
        _otherIds.Add(id);
        _otherShards.Add(shard);
        return slot;
    }

    private static int Slot(Dictionary<string, int> slots, List<string> ids, string id)
    {
        if (!slots.TryGetValue(id, out var slot))
        {
            slot = ids.Count;
            slots.Add(id, slot);
            ids.Add(id);
        }
        return slot;
    }

    /// <summary>Rank in ordinal order of every slot that appears in a training pair; −1 for the others.</summary>
    private static int[] RankSlots(List<string> slotIds, List<long> pairs, Func<long, int> slotOfPair, out string[] rankedIds)
    {
        var used = new bool[slotIds.Count];
        foreach (var p in pairs) used[slotOfPair(p)] = true;
        var slots = new List<int>(slotIds.Count);
        for (var s = 0; s < used.Length; s++)
        {
            if (used[s]) slots.Add(s);
        }
        var ids = new string[slots.Count];
        var order = slots.ToArray();
        for (var j = 0; j < order.Length; j++) ids[j] = slotIds[order[j]];
        Array.Sort(ids, order, StringComparer.Ordinal);
        var rank = new int[slotIds.Count];
        Array.Fill(rank, -1);
        for (var j = 0; j < order.Length; j++) rank[order[j]] = j;
        rankedIds = ids;
        return rank;
    }

    private static (long[] Keys, float[] Values) SortedPairs(List<long> pairs, List<float> counts, Func<long, long> key)
    {
        var keys = new long[pairs.Count];
        var values = new float[pairs.Count];
        for (var j = 0; j < keys.Length; j++)
        {
            keys[j] = key(pairs[j]);
            values[j] = counts[j];
        }
        Array.Sort(keys, values);
        return (keys, values);
    }
}
