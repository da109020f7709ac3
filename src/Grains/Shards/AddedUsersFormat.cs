using System.Text;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>The users a shard serves beside its trained ones (add-user), as one state of their own beside its data.</summary>
internal static class AddedUsersFormat
{
    // Version 2: an activity rate per ensemble member.
    private const string Magic = "hpf-added-users/2";

    public static void Write(Stream stream, IReadOnlyCollection<AddedUser> users)
    {
        // The caller (a state store) owns the stream: it is flushed, never closed, here.
        var buffered = new BufferedStream(stream, 1 << 16);
        using var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(users.Count);
        foreach (var user in users.OrderBy(u => u.User, StringComparer.Ordinal))
        {
            writer.Write(user.User);
            RawBinary.Write<float>(writer, user.Shape);
            RawBinary.Write<float>(writer, user.Rate);
            RawBinary.Write<float>(writer, user.ActivityRate);
            writer.Write(user.SeenByItemShard.Length);
            for (var j = 0; j < user.SeenByItemShard.Length; j++)
            {
                RawBinary.Write<int>(writer, user.SeenByItemShard[j]);
                RawBinary.Write<float>(writer, user.SeenCounts[j]);
            }
        }
        writer.Flush();
        buffered.Flush();
    }

    public static List<AddedUser> Read(Stream stream)
    {
        using var reader = new BinaryReader(new BufferedStream(stream, 1 << 16), Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != Magic) throw new InvalidDataException("not a shard's added users");
        var count = reader.ReadInt32();
        var users = new List<AddedUser>(count);
        for (var u = 0; u < count; u++)
        {
            var id = reader.ReadString();
            var shape = RawBinary.Read<float>(reader);
            var rate = RawBinary.Read<float>(reader);
            var activity = RawBinary.Read<float>(reader);
            var shards = reader.ReadInt32();
            var seen = new int[shards][];
            var counts = new float[shards][];
            for (var j = 0; j < shards; j++)
            {
                seen[j] = RawBinary.Read<int>(reader);
                counts[j] = RawBinary.Read<float>(reader);
            }
            users.Add(new AddedUser(id, shape, rate, activity, seen, counts));
        }
        return users;
    }
}
