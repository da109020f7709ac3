using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Tests.Grains;
using Hpf.Cluster.Runtime.Transport;

namespace Hpf.Cluster.Runtime.Tests.Serialization;

public sealed class WireFrameTests
{
    private const int LargeFloats = WireFrame.LargeArrayBytes / sizeof(float);

    private static readonly float[] Large = Floats(LargeFloats * 3, 0.25f);
    private static readonly double[] LargeDoubles = Enumerable.Range(0, WireFrame.LargeArrayBytes / sizeof(double)).Select(i => i * -1.5).ToArray();

    private static float[] Floats(int count, float step) => Enumerable.Range(0, count).Select(i => i * step).ToArray();

    private static Batch SampleBatch() => new("b", [1, 2, 3], Large, LargeDoubles, [new Pair(7, 0.25)], BatchKind.Users, 9);

    /// <summary>A framed message: a string, a batch (one small and two large arrays), a list of a small and a large array.</summary>
    private static WireWriter WriteSample()
    {
        var writer = new WireWriter();
        writer.BeginFrame();
        writer.WriteString("head");
        WireCodec.Write(writer, typeof(Batch), SampleBatch());
        WireCodec.Write(writer, typeof(List<double[]>), new List<double[]> { new[] { 1.0, 2.0 }, LargeDoubles });
        return writer;
    }

    private static (string Text, Batch Batch, List<double[]> List) ReadSample(WireReader reader)
    {
        reader.BeginFrame();
        var text = reader.ReadString()!;
        var batch = (Batch)WireCodec.Read(reader, typeof(Batch))!;
        var list = (List<double[]>)WireCodec.Read(reader, typeof(List<double[]>))!;
        reader.EndFrame();
        return (text, batch, list);
    }

    private static void AssertSample((string Text, Batch Batch, List<double[]> List) back)
    {
        Assert.Equal("head", back.Text);
        Assert.Equal([1, 2, 3], back.Batch.Indices);
        Assert.Equal(Large, back.Batch.Values);
        Assert.Equal(LargeDoubles, back.Batch.Weights);
        Assert.Equal([new Pair(7, 0.25)], back.Batch.Pairs);
        Assert.Equal(9L, back.Batch.Iteration);
        Assert.Equal(2, back.List.Count);
        Assert.Equal([1.0, 2.0], back.List[0]);
        Assert.Equal(LargeDoubles, back.List[1]);
    }

    [Fact]
    public void Large_arrays_travel_in_the_tail_as_their_raw_bytes_in_order_and_small_ones_in_the_head()
    {
        using var writer = WriteSample();
        var tailLength = Large.Length * 4 + LargeDoubles.Length * 8 * 2;

        var message = writer.WrittenMemory.ToArray();

        Assert.Equal(message.Length, writer.Length);
        var headLength = BinaryPrimitives.ReadInt32LittleEndian(message);
        Assert.Equal(message.Length - 4 - tailLength, headLength);
        var tail = message.AsSpan(4 + headLength);
        Assert.True(tail[..(Large.Length * 4)].SequenceEqual(MemoryMarshal.AsBytes(Large.AsSpan())));
        Assert.True(tail[(Large.Length * 4)..][..(LargeDoubles.Length * 8)].SequenceEqual(MemoryMarshal.AsBytes(LargeDoubles.AsSpan())));
        AssertSample(ReadSample(new WireReader(message)));
    }

    [Fact]
    public async Task Writing_to_a_stream_sends_the_same_bytes_as_the_flattened_message()
    {
        using var streamed = WriteSample();
        using var flattened = WriteSample();
        using var stream = new MemoryStream();

        await streamed.WriteToAsync(stream, CancellationToken.None);

        Assert.Equal(streamed.Length, stream.Length);
        Assert.Equal(flattened.WrittenMemory.ToArray(), stream.ToArray());
    }

    [Fact]
    public void A_framed_writer_refuses_writes_after_its_message_was_read_out_until_reset()
    {
        using var writer = WriteSample();
        _ = writer.WrittenMemory;

        Assert.Throws<InvalidOperationException>(() => writer.WriteInt32(1));

        writer.Reset();
        writer.BeginFrame();
        writer.WriteInt32(1);
        Assert.Equal(8, writer.Length);
    }

    [Fact]
    public async Task A_streamed_read_decodes_the_head_then_fills_the_arrays_from_the_stream()
    {
        using var writer = WriteSample();
        var message = writer.WrittenMemory.ToArray();
        // Small reads, so every array is filled over many of them.
        await using var stream = new TrickleStream(message, 1000);

        var back = await StreamedMessageReader.ReadAsync(stream, message.Length, null, ReadSample, CancellationToken.None);

        AssertSample(back);
        Assert.Equal(message.Length, stream.Position);
    }

    [Fact]
    public async Task A_stream_that_ends_inside_the_tail_fails_as_truncated()
    {
        using var writer = WriteSample();
        var message = writer.WrittenMemory.ToArray();
        await using var stream = new MemoryStream(message, 0, message.Length - 100);

        var ex = await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(stream, message.Length, null, ReadSample, CancellationToken.None));

        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public async Task A_head_naming_more_or_fewer_array_bytes_than_the_tail_holds_fails_before_reading_the_tail()
    {
        using var writer = WriteSample();
        var message = writer.WrittenMemory.ToArray();

        // Announced 100 bytes short: the last array does not fit.
        await using var shorter = new MemoryStream(message);
        await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(shorter, message.Length - 100, null, ReadSample, CancellationToken.None));
        Assert.Throws<WireFormatException>(() => ReadSample(new WireReader(message.AsMemory(0, message.Length - 100))));

        // Announced longer than the arrays: bytes nobody claims.
        var longer = message.Concat(new byte[8]).ToArray();
        await using var padded = new MemoryStream(longer);
        await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(padded, longer.Length, null, ReadSample, CancellationToken.None));
        Assert.Throws<WireFormatException>(() => ReadSample(new WireReader(longer)));
    }

    [Fact]
    public async Task A_garbled_array_length_or_head_length_is_refused_without_allocating_it()
    {
        using var writer = new WireWriter();
        writer.BeginFrame();
        writer.WriteInt32(int.MaxValue / 4);
        var message = writer.WrittenMemory.ToArray();

        static float[]? ReadArray(WireReader reader)
        {
            reader.BeginFrame();
            return (float[]?)WireCodec.Read(reader, typeof(float[]));
        }

        await using var stream = new MemoryStream(message);
        await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(stream, message.Length, null, ReadArray, CancellationToken.None));
        Assert.Throws<WireFormatException>(() => ReadArray(new WireReader(message)));

        BinaryPrimitives.WriteInt32LittleEndian(message, 1 << 30);
        await using var garbled = new MemoryStream(message);
        await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(garbled, message.Length, null, ReadArray, CancellationToken.None));
        await using var tiny = new MemoryStream([1, 2]);
        await Assert.ThrowsAsync<WireFormatException>(() => StreamedMessageReader.ReadAsync(tiny, 2, null, ReadArray, CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_while_the_tail_arrives_stops_the_read()
    {
        using var writer = WriteSample();
        var message = writer.WrittenMemory.ToArray();
        await using var stream = new StallingStream(message, message.Length / 2);
        using var cts = new CancellationTokenSource();

        var read = StreamedMessageReader.ReadAsync(stream, message.Length, null, ReadSample, cts.Token);
        await stream.Stalled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(read.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    /// <summary>Hands out at most a few bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    /// <summary>Delivers the first bytes, then waits for cancellation as a stalled peer would.</summary>
    private sealed class StallingStream(byte[] data, int deliver) : MemoryStream(data, 0, deliver)
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Stalled => _stalled.Task;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                return read;
            }
            _stalled.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }
}
