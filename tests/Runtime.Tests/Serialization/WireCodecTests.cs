using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Serialization;

public sealed class WireCodecTests
{
    private static T RoundTrip<T>(T value, out int size)
    {
        using var writer = new WireWriter();
        WireCodec.Write(writer, typeof(T), value);
        size = writer.Length;
        var reader = new WireReader(writer.WrittenMemory.ToArray());
        var back = (T)WireCodec.Read(reader, typeof(T))!;
        Assert.Equal(0, reader.Remaining);
        return back;
    }

    [Fact]
    public void Primitive_arrays_travel_as_a_length_and_their_raw_bytes()
    {
        var floats = new[] { 1.5f, -0f, float.NaN, float.PositiveInfinity, 3e-39f };
        Assert.Equal(floats, RoundTrip(floats, out var size));
        Assert.Equal(4 + floats.Length * 4, size);

        var doubles = new[] { Math.PI, double.Epsilon };
        Assert.Equal(doubles, RoundTrip(doubles, out size));
        Assert.Equal(4 + 16, size);

        var longs = new[] { long.MinValue, 0, long.MaxValue };
        Assert.Equal(longs, RoundTrip(longs, out size));
        Assert.Equal(4 + 24, size);

        int[] ints = [1, -1, int.MaxValue];
        Assert.Equal(ints, RoundTrip(ints, out size));
        Assert.Equal(4 + 12, size);

        byte[] bytes = [0, 255, 7];
        Assert.Equal(bytes, RoundTrip(bytes, out size));
        Assert.Equal(4 + 3, size);

        Assert.Null(RoundTrip<float[]?>(null, out size));
        Assert.Equal(4, size);
        Assert.Empty(RoundTrip(Array.Empty<float>(), out _));
    }

    [Fact]
    public void The_bytes_of_a_float_array_are_its_little_endian_memory()
    {
        using var writer = new WireWriter();
        WireCodec.Write(writer, typeof(float[]), new[] { 1.0f });

        Assert.Equal(new byte[] { 1, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F }, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Primitives_strings_enums_and_nullables_round_trip()
    {
        Assert.Equal("héllo ✓", RoundTrip("héllo ✓", out _));
        Assert.Null(RoundTrip<string?>(null, out _));
        Assert.Equal(BatchKind.Items, RoundTrip(BatchKind.Items, out _));
        Assert.Equal(42L, RoundTrip<long?>(42, out _));
        Assert.Null(RoundTrip<long?>(null, out _));
        Assert.Equal(1.25m, RoundTrip(1.25m, out _));
        var now = DateTimeOffset.Now;
        Assert.Equal(now, RoundTrip(now, out _));
        Assert.Equal(TimeSpan.FromTicks(123), RoundTrip(TimeSpan.FromTicks(123), out _));
        var guid = Guid.NewGuid();
        Assert.Equal(guid, RoundTrip(guid, out _));
        Assert.True(RoundTrip(true, out _));
    }

    [Fact]
    public void Records_lists_and_dictionaries_round_trip()
    {
        var batch = new Batch("b", [4, 5], [0.5f], [2.0], [new Pair(1, 2), new Pair(3, 4)], BatchKind.Users, null);
        var back = RoundTrip(batch, out _);
        Assert.Equal(batch.Indices, back.Indices);
        Assert.Equal(batch.Pairs, back.Pairs);
        Assert.Equal(batch.Weights, back.Weights);
        Assert.Null(back.Iteration);

        Assert.Null(RoundTrip<Batch?>(null, out _));

        IReadOnlyList<Pair> pairs = [new Pair(9, 9.5)];
        Assert.Equal(pairs, RoundTrip(pairs, out _));

        var map = new Dictionary<string, int[]> { ["a"] = [1, 2], ["b"] = [] };
        var mapBack = RoundTrip(map, out _);
        Assert.Equal(map.Keys.Order(), mapBack.Keys.Order());
        Assert.Equal([1, 2], mapBack["a"]);

        Pair[] array = [new Pair(1, 1), new Pair(2, 2)];
        Assert.Equal(array, RoundTrip(array, out _));
    }

    [Fact]
    public void A_truncated_message_is_reported_not_misread()
    {
        using var writer = new WireWriter();
        WireCodec.Write(writer, typeof(float[]), new float[1000]);
        var truncated = writer.WrittenMemory[..100].ToArray();

        Assert.Throws<WireFormatException>(() => WireCodec.Read(new WireReader(truncated), typeof(float[])));
    }

    [Fact]
    public void A_garbled_length_does_not_allocate_what_it_claims()
    {
        byte[] garbled = [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3];

        Assert.Throws<WireFormatException>(() => WireCodec.Read(new WireReader(garbled), typeof(double[])));
        Assert.Throws<WireFormatException>(() => WireCodec.Read(new WireReader(garbled), typeof(List<Pair>)));
    }

    [Fact]
    public void A_type_that_cannot_be_rebuilt_is_refused_with_a_reason()
    {
        var ex = Assert.Throws<WireFormatException>(() => WireCodec.For(typeof(Stream)));
        Assert.Contains("Stream", ex.Message);
        Assert.Throws<WireFormatException>(() => WireCodec.For(typeof(object)));
    }
}
