using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A sealed shard's data as persisted once at the seal (its parameters go to checkpoints): the plan, the rows and
/// nonzeros, the gathered-table layout, the validation nonzeros, the subscriptions and the other side's shards.
/// Arrays travel as raw bytes.
/// </summary>
internal static class ShardDataFormat
{
    private const string Magic = "hpf-shard-data";
    // 3: the other side's shards by key alone; Orleans' placement, not a stored hint, says where they run.
    // 4: the budget model's groups after the other side's shards (version 3 reads as HPF).
    private const int Version = 4;

    public static void Write(Stream stream, SealedShard shard, IShardGrain[] others)
    {
        // The caller (a state store) owns the stream: it is flushed, never closed, here.
        var buffered = new BufferedStream(stream, 1 << 16);
        using var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        // The job's whole item → group map is for the seal only: the shard keeps its own rows' groups below.
        writer.Write(JsonSerializer.Serialize(shard.Plan with { Groups = null }, JobStore.JsonOptions));
        writer.Write(shard.UserSide);
        RawBinary.WriteStrings(writer, shard.Ids);
        var layout = shard.Layout;
        RawBinary.Write<int>(writer, layout.Rows.RowStart);
        RawBinary.Write<int>(writer, layout.Rows.Other);
        RawBinary.Write<float>(writer, layout.Rows.Counts);
        RawBinary.Write<int>(writer, layout.PartStart);
        RawBinary.Write<int>(writer, layout.ValidationStart);
        RawBinary.Write<int>(writer, layout.CounterpartLocal);
        var validation = layout.Validation;
        RawBinary.Write<int>(writer, validation.Users);
        RawBinary.Write<int>(writer, validation.Items);
        RawBinary.Write<float>(writer, validation.Counts);
        writer.Write(validation.SkippedUnknownUser);
        writer.Write(validation.SkippedUnknownItem);
        shard.Subscriptions.Write(writer);
        writer.Write(others.Length);
        foreach (var other in others)
        {
            writer.Write(other.GetPrimaryKeyString());
        }
        writer.Write(shard.Budget is not null);
        if (shard.Budget is { } budget)
        {
            writer.Write(budget.Groups);
            RawBinary.Write<int>(writer, budget.RowGroup);
        }
        writer.Flush();
        buffered.Flush();
    }

    /// <returns>The shard (parameters not loaded) and the keys of the other side's shards.</returns>
    public static (SealedShard Shard, string[] Others) Read(Stream stream)
    {
        using var reader = new BinaryReader(new BufferedStream(stream, 1 << 16), Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != Magic) throw new InvalidDataException("not a shard data state");
        var version = reader.ReadInt32();
        if (version is not (3 or Version)) throw new InvalidDataException($"shard data state version {version}; this silo reads version {Version}");
        var plan = JsonSerializer.Deserialize<ShardPlan>(reader.ReadString(), JobStore.JsonOptions)
            ?? throw new InvalidDataException("a shard data state without its plan");
        var userSide = reader.ReadBoolean();
        var ids = RawBinary.ReadStrings(reader);
        var rows = new SparseRows(RawBinary.Read<int>(reader), RawBinary.Read<int>(reader), RawBinary.Read<float>(reader));
        var partStart = RawBinary.Read<int>(reader);
        var validationStart = RawBinary.Read<int>(reader);
        var counterpartLocal = RawBinary.Read<int>(reader);
        var validation = new HeldOutSet(RawBinary.Read<int>(reader), RawBinary.Read<int>(reader), RawBinary.Read<float>(reader), reader.ReadInt32(), reader.ReadInt32());
        var subscriptions = ShardSubscriptions.Read(reader);
        var others = new string[reader.ReadInt32()];
        for (var j = 0; j < others.Length; j++)
        {
            others[j] = reader.ReadString();
        }
        var layout = new SealedLayout(rows, partStart, validationStart, validation, counterpartLocal);
        var shard = new SealedShard(plan, userSide, ids, layout, subscriptions);
        if (version >= 4 && reader.ReadBoolean())
        {
            var groups = reader.ReadInt32();
            shard.Budget = new ShardBudget(userSide, groups, RawBinary.Read<int>(reader), rows, plan.Training.Factors);
        }
        return (shard, others);
    }
}
