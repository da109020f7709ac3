using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// Which of this shard's rows each shard of the other side fetches: the local indices it resolved, in its order
/// (training rows for E[log] and E[x]; validation-only rows for E[x]). Resolves arrive concurrently from the other
/// side's shards during the seal, hence the lock.
/// </summary>
internal sealed class ShardSubscriptions
{
    private readonly Dictionary<int, int[]> _training = new();
    private readonly Dictionary<int, int[]> _validation = new();
    private readonly object _gate = new();

    public void Set(int subscriber, DataSetKind kind, int[] rows)
    {
        lock (_gate)
        {
            (kind == DataSetKind.Training ? _training : _validation)[subscriber] = rows;
        }
    }

    public int[] TrainingOf(int subscriber)
    {
        lock (_gate)
        {
            return _training.TryGetValue(subscriber, out var rows) ? rows
                : throw new InvalidOperationException($"shard {subscriber} of the other side has not resolved its rows with this shard");
        }
    }

    /// <summary>The rows <paramref name="subscriber"/> resolved for training; empty when it resolved none (its nonzeros touch no row here).</summary>
    public int[] TrainingOrEmpty(int subscriber)
    {
        lock (_gate)
        {
            return _training.TryGetValue(subscriber, out var rows) ? rows : [];
        }
    }

    public int[] ValidationOf(int subscriber)
    {
        lock (_gate)
        {
            return _validation.TryGetValue(subscriber, out var rows) ? rows : [];
        }
    }

    public void Write(BinaryWriter writer)
    {
        lock (_gate)
        {
            WriteMap(writer, _training);
            WriteMap(writer, _validation);
        }
    }

    public static ShardSubscriptions Read(BinaryReader reader)
    {
        var subscriptions = new ShardSubscriptions();
        ReadMap(reader, subscriptions._training);
        ReadMap(reader, subscriptions._validation);
        return subscriptions;
    }

    private static void WriteMap(BinaryWriter writer, Dictionary<int, int[]> map)
    {
        writer.Write(map.Count);
        foreach (var (subscriber, rows) in map.OrderBy(p => p.Key))
        {
            writer.Write(subscriber);
            RawBinary.Write<int>(writer, rows);
        }
    }

    private static void ReadMap(BinaryReader reader, Dictionary<int, int[]> map)
    {
        var count = reader.ReadInt32();
        for (var j = 0; j < count; j++) map[reader.ReadInt32()] = RawBinary.Read<int>(reader);
    }
}
