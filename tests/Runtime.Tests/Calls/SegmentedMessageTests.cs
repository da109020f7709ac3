using Hpf.Cluster.Runtime.Transport;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>A message on a silo link, in segments: whole, aborted part-way, or read only in part, and what follows it.</summary>
public sealed class SegmentedMessageTests
{
    private static byte[] Bytes(int count) => Enumerable.Range(0, count).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public async Task A_message_larger_than_a_segment_arrives_whole_and_the_next_one_after_it()
    {
        var first = Bytes(LinkFrame.MaxSegmentBytes * 2 + 123);
        var second = Bytes(10);
        using var wire = new MemoryStream();
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(first);
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(second);
        // Three segments and their counts, then one.
        Assert.Equal(first.Length + 3 * sizeof(int) + second.Length + sizeof(int), wire.Length);
        wire.Position = 0;

        var read = new byte[first.Length];
        await new SegmentedMessageReadStream(wire, first.Length).ReadExactlyAsync(read);
        var next = new byte[second.Length];
        await new SegmentedMessageReadStream(wire, second.Length).ReadExactlyAsync(next);

        Assert.Equal(first, read);
        Assert.Equal(second, next);
    }

    [Fact]
    public async Task An_aborted_message_reads_as_aborted_and_leaves_the_stream_at_the_next_message()
    {
        var large = Bytes(LinkFrame.MaxSegmentBytes * 3);
        var small = Bytes(5);
        using var wire = new MemoryStream();
        using var abort = new CancellationTokenSource();
        var writer = new SegmentedMessageWriteStream(wire, abort.Token);
        await writer.WriteAsync(large.AsMemory(0, LinkFrame.MaxSegmentBytes));
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync(large.AsMemory(LinkFrame.MaxSegmentBytes)).AsTask());
        Assert.True(writer.Aborted);
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(small);
        wire.Position = 0;

        var reader = new SegmentedMessageReadStream(wire, large.Length);
        await Assert.ThrowsAsync<MessageAbortedException>(() => reader.ReadExactlyAsync(new byte[large.Length]).AsTask());
        await reader.DrainAsync(CancellationToken.None);
        Assert.True(reader.Aborted);
        var next = new byte[small.Length];
        await new SegmentedMessageReadStream(wire, small.Length).ReadExactlyAsync(next);

        Assert.Equal(small, next);
    }

    [Fact]
    public async Task Draining_skips_what_a_reader_left_of_a_message()
    {
        var first = Bytes(LinkFrame.MaxSegmentBytes + 1000);
        var second = Bytes(3);
        using var wire = new MemoryStream();
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(first);
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(second);
        wire.Position = 0;

        var reader = new SegmentedMessageReadStream(wire, first.Length);
        await reader.ReadExactlyAsync(new byte[100]);
        await reader.DrainAsync(CancellationToken.None);
        var next = new byte[second.Length];
        await new SegmentedMessageReadStream(wire, second.Length).ReadExactlyAsync(next);

        Assert.Equal(second, next);
        Assert.Equal(wire.Length, wire.Position);
    }

    [Fact]
    public async Task A_segment_count_beyond_the_message_is_a_broken_link()
    {
        using var wire = new MemoryStream();
        await new SegmentedMessageWriteStream(wire, CancellationToken.None).WriteAsync(Bytes(100));
        wire.Position = 0;

        // The frame said 50 bytes; the segment claims 100.
        var reader = new SegmentedMessageReadStream(wire, 50);

        await Assert.ThrowsAsync<IOException>(() => reader.ReadExactlyAsync(new byte[50]).AsTask());
    }
}
