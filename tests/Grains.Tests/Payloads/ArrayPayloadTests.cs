using Hpf.Cluster.Grains.Interfaces;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Hpf.Cluster.Grains.Tests.Payloads;

/// <summary>
/// Large arrays cross silos as their raw bytes: a message with a million floats is four megabytes and a few bytes on
/// the wire (a plain float[] would be five, with a tag per element), comes back equal, and is never copied on a call.
/// </summary>
public sealed class ArrayPayloadTests
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(FetchedRows).Assembly))
        .BuildServiceProvider();

    [Fact]
    public void A_row_block_travels_as_its_raw_bytes_and_comes_back_equal()
    {
        var values = new float[1_000_000];
        for (var j = 0; j < values.Length; j++) values[j] = MathF.Sqrt(j) - 7.25f;
        var rows = new FetchedRows(values, new[] { 3, 1, 4 }, new[] { 0.5f, float.Epsilon, -2f });
        var serializer = Services.GetRequiredService<Serializer>();

        var bytes = serializer.SerializeToArray(rows);
        var back = serializer.Deserialize<FetchedRows>(bytes)!;

        Assert.InRange(bytes.Length, 4_000_000, 4_000_000 + 200);
        Assert.Equal(values, back.Values.Array);
        Assert.Equal(new[] { 3, 1, 4 }, back.ExactRows.Array);
        Assert.Equal(new[] { 0.5f, float.Epsilon, -2f }, back.ExactElog.Array);
        Assert.NotSame(values, back.Values.Array);
    }

    [Fact]
    public void A_payload_is_handed_on_as_it_is_on_a_call_within_a_silo()
    {
        var copier = Services.GetRequiredService<DeepCopier>();
        var rows = new FetchedRows(new float[] { 1, 2 }, Array.Empty<int>(), Array.Empty<float>());

        Assert.Same(rows, copier.Copy(rows));
        Assert.Same(rows.Values, copier.Copy(rows.Values));
    }

    [Fact]
    public void Empty_and_missing_payloads_round_trip()
    {
        var serializer = Services.GetRequiredService<Serializer>();
        var push = new RowPush(2, 7, 3, [1.5, 2.5], null);
        var chunk = new StatisticsChunk(1, 0, [], [], [], []);

        Assert.Null(serializer.Deserialize<RowPush>(serializer.SerializeToArray(push))!.Rows);
        var back = serializer.Deserialize<StatisticsChunk>(serializer.SerializeToArray(chunk))!;
        Assert.Equal(0, back.Rows.Length);
        Assert.Equal(0, back.Exact.Length);
    }

    [Fact]
    public void A_byte_count_that_is_not_a_whole_number_of_elements_is_refused()
    {
        var serializer = Services.GetRequiredService<Serializer>();
        var bytes = serializer.SerializeToArray(new ArrayPayload<byte>(new byte[6]));
        var asFloats = bytes.ToArray();

        // Same wire shape, read as floats: 6 bytes are not a whole number of floats.
        var error = Record.Exception(() => serializer.Deserialize<ArrayPayload<float>>(asFloats));

        Assert.NotNull(error);
    }
}
