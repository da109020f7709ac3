using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// The text column in which SQL tables keep a row's suspicions: a JSON array of [silo address, UTC ticks]
/// pairs. Kept in one column because votes are only ever read and rewritten with the row they belong to.
/// </summary>
internal static class SuspicionListFormat
{
    public static string Encode(IReadOnlyList<SiloSuspicion> suspicions)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var suspicion in suspicions)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(suspicion.Suspecter.ToString());
                writer.WriteNumberValue(suspicion.Time.UtcTicks);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyList<SiloSuspicion> Decode(string text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        using var document = JsonDocument.Parse(text);
        var suspicions = new List<SiloSuspicion>();
        foreach (var pair in document.RootElement.EnumerateArray())
        {
            var suspecter = SiloAddress.Parse(pair[0].GetString() ?? "");
            suspicions.Add(new SiloSuspicion(suspecter, new DateTimeOffset(pair[1].GetInt64(), TimeSpan.Zero)));
        }
        return suspicions;
    }
}
