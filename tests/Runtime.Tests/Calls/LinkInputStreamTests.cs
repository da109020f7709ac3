using System.IO.Pipelines;
using Hpf.Cluster.Runtime.Transport;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>An accepted link's input: a read wakes once all it asks for is in, not for each block the socket delivers.</summary>
public sealed class LinkInputStreamTests
{
    private static byte[] Bytes(int count, int seed = 0) => Enumerable.Range(0, count).Select(i => (byte)(i * 7 + seed)).ToArray();

    [Fact]
    public async Task A_read_waits_until_everything_it_asks_for_has_arrived()
    {
        var pipe = new Pipe();
        var input = new LinkInputStream(pipe.Reader);
        var sent = Bytes(40_000);
        var buffer = new byte[sent.Length];

        var read = input.ReadAsync(buffer).AsTask();
        for (var at = 0; at < sent.Length; at += 4096)
        {
            await pipe.Writer.WriteAsync(sent.AsMemory(at, Math.Min(4096, sent.Length - at)));
            if (at + 4096 < sent.Length) Assert.False(read.IsCompleted);
        }

        Assert.Equal(sent.Length, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(sent, buffer);
    }

    [Fact]
    public async Task A_read_larger_than_the_wait_bound_returns_once_the_bound_is_in()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * LinkInputStream.MaxWaitBytes, resumeWriterThreshold: 2 * LinkInputStream.MaxWaitBytes));
        var input = new LinkInputStream(pipe.Reader);
        var sent = Bytes(LinkInputStream.MaxWaitBytes + 1000, seed: 3);
        await pipe.Writer.WriteAsync(sent.AsMemory(0, LinkInputStream.MaxWaitBytes));
        var buffer = new byte[sent.Length];

        var first = await input.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await pipe.Writer.WriteAsync(sent.AsMemory(first));
        var second = await input.ReadAsync(buffer.AsMemory(first)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(LinkInputStream.MaxWaitBytes, first);
        Assert.Equal(sent.Length, first + second);
        Assert.Equal(sent, buffer);
    }

    [Fact]
    public async Task At_the_end_of_the_connection_a_read_returns_what_is_left_and_then_nothing()
    {
        var pipe = new Pipe();
        var input = new LinkInputStream(pipe.Reader);
        await pipe.Writer.WriteAsync(Bytes(5));
        await pipe.Writer.CompleteAsync();
        var buffer = new byte[13];

        Assert.Equal(5, await input.ReadAsync(buffer));
        Assert.Equal(Bytes(5), buffer[..5]);
        Assert.Equal(0, await input.ReadAsync(buffer));
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_the_bytes_stay_for_the_next()
    {
        var pipe = new Pipe();
        var input = new LinkInputStream(pipe.Reader);
        await pipe.Writer.WriteAsync(Bytes(3));
        using var cancel = new CancellationTokenSource();
        var buffer = new byte[8];

        var read = input.ReadAsync(buffer, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        await pipe.Writer.WriteAsync(Bytes(5, seed: 21));
        Assert.Equal(8, await input.ReadAsync(buffer));
        Assert.Equal(Bytes(3).Concat(Bytes(5, seed: 21)), buffer);
    }
}
