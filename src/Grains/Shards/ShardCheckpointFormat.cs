using System.Text;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A shard's parameters at an iteration: shape, rate and activity rate per row (float32, raw bytes) and the
/// per-row SVI step counts, tagged with the iteration, the side's version and the job's batch counter, so a
/// restore can check it holds what the coordinator recorded.
/// </summary>
internal static class ShardCheckpointFormat
{
    // Version 2: an activity rate per ensemble member.
    private const string Magic = "hpf-shard-checkpoint/2";

    public static void Write(Stream stream, SealedShard shard, int iteration, long version, long stepCounter)
    {
        // The caller (a state store) owns the stream: it is flushed, never closed, here.
        var buffered = new BufferedStream(stream, 1 << 16);
        using var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(iteration);
        writer.Write(version);
        writer.Write(stepCounter);
        writer.Write(shard.Rows);
        writer.Write(shard.K);
        var side = shard.Side;
        RawBinary.Write<float>(writer, side.Shape);
        RawBinary.Write<float>(writer, side.Rate);
        RawBinary.Write<float>(writer, side.ActivityRate);
        RawBinary.Write<long>(writer, shard.RowSteps);
        writer.Flush();
        buffered.Flush();
    }

    /// <summary>Reads a checkpoint into the shard's parameter arrays.</summary>
    /// <returns>Its iteration, version and batch counter.</returns>
    public static (int Iteration, long Version, long StepCounter) Read(Stream stream, SealedShard shard)
    {
        using var reader = new BinaryReader(new BufferedStream(stream, 1 << 16), Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != Magic) throw new InvalidDataException("not a shard checkpoint");
        var iteration = reader.ReadInt32();
        var version = reader.ReadInt64();
        var stepCounter = reader.ReadInt64();
        var rows = reader.ReadInt32();
        var k = reader.ReadInt32();
        if (rows != shard.Rows || k != shard.K) throw new InvalidDataException($"a checkpoint of {rows} rows × {k} factors for a shard of {shard.Rows} × {shard.K}");
        var side = shard.Side;
        RawBinary.ReadInto<float>(reader, side.Shape);
        RawBinary.ReadInto<float>(reader, side.Rate);
        RawBinary.ReadInto<float>(reader, side.ActivityRate);
        RawBinary.ReadInto<long>(reader, shard.RowSteps);
        return (iteration, version, stepCounter);
    }

    /// <summary>The grain type under which slot <paramref name="slot"/> of a shard is stored beside its data.</summary>
    public static string SlotType(string grainType, int slot) => $"{grainType}#checkpoint{slot}";
}
