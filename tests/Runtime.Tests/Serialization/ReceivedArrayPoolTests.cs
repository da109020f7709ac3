using Hpf.Cluster.Runtime.Serialization;

namespace Hpf.Cluster.Runtime.Tests.Serialization;

public sealed class ReceivedArrayPoolTests
{
    private const int LargeFloats = WireFrame.LargeArrayBytes / sizeof(float);

    [Fact]
    public void An_array_given_back_is_lent_again_for_the_same_length_only()
    {
        var pool = new ReceivedArrayPool<float>();
        var first = pool.Rent(1000);
        pool.Return(first);

        Assert.Equal(1, pool.FreeCount(1000));
        Assert.NotSame(first, pool.Rent(999));
        Assert.Same(first, pool.Rent(1000));
        Assert.Equal(0, pool.FreeCount(1000));
        Assert.NotSame(first, pool.Rent(1000));
    }

    [Fact]
    public void Arrays_it_did_not_lend_are_never_taken_so_a_senders_own_buffer_stays_its_own()
    {
        var pool = new ReceivedArrayPool<float>();
        var senders = new float[1000];

        pool.Return(senders);
        pool.Return(null);

        Assert.Equal(0, pool.FreeCount(1000));
        Assert.NotSame(senders, pool.Rent(1000));
    }

    [Fact]
    public void An_array_given_back_twice_is_taken_once()
    {
        var pool = new ReceivedArrayPool<int>();
        var lent = pool.Rent(500);

        pool.Return(lent);
        pool.Return(lent);

        Assert.Equal(1, pool.FreeCount(500));
        Assert.Same(lent, pool.Rent(500));
        Assert.NotSame(lent, pool.Rent(500));
    }

    [Fact]
    public void A_message_decoded_into_a_recycled_array_holds_the_new_values()
    {
        // A length no other test decodes, so the shared pool's array for it is this test's.
        var length = LargeFloats + 4321;
        var first = Decode(Enumerable.Repeat(1f, length).ToArray());
        ReceivedArrayPool<float>.Shared.Return(first);
        var values = Enumerable.Range(0, length).Select(i => i * 0.5f).ToArray();

        var second = Decode(values);

        Assert.Same(first, second);
        Assert.Equal(values, second);
    }

    [Fact]
    public void Only_arrays_that_travel_in_a_frames_tail_come_from_the_pool()
    {
        var small = Decode(new float[100]);
        var large = Decode(new float[LargeFloats + 77]);

        ReceivedArrayPool<float>.Shared.Return(small);
        ReceivedArrayPool<float>.Shared.Return(large);

        Assert.Equal(0, ReceivedArrayPool<float>.Shared.FreeCount(100));
        Assert.Equal(1, ReceivedArrayPool<float>.Shared.FreeCount(LargeFloats + 77));
        GC.KeepAlive(large);
    }

    private static float[] Decode(float[] values)
    {
        using var writer = new WireWriter();
        writer.BeginFrame();
        WireCodec.Write(writer, typeof(float[]), values);
        var reader = new WireReader(writer.WrittenMemory.ToArray());
        reader.BeginFrame();
        var back = (float[])WireCodec.Read(reader, typeof(float[]))!;
        reader.EndFrame();
        return back;
    }
}
