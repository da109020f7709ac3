using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Shards;

namespace Hpf.Cluster.Grains.Tests.Shards;

/// <summary>What a shard's half-step takes of the pushes it is sent: all senders' pushes of its run and version, nothing else.</summary>
public sealed class RowPushInboxTests
{
    private const long Run = 41;

    private static RowPush Push(int from, long version, long run = Run, double sum = 1) =>
        new(from, run, version, [sum, sum], new FetchedRows([(float)sum], [], []));

    [Fact]
    public async Task The_wait_ends_only_when_every_sender_has_pushed_the_version_and_takes_them_in_sender_order()
    {
        var inbox = new RowPushInbox(3);
        inbox.Accept(Push(2, version: 5, sum: 20));
        var waiting = inbox.WaitAsync(Run, 5, CancellationToken.None);
        inbox.Accept(Push(0, version: 5, sum: 0));
        Assert.False(waiting.IsCompleted);
        inbox.Accept(Push(1, version: 5, sum: 10));

        var pushes = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 1, 2], pushes.Select(p => Assert.Single(p).FromShard));
        Assert.Equal([0.0, 10, 20], pushes.Select(p => p[0].ColumnSums[0]));
    }

    [Fact]
    public async Task Pushes_already_in_are_taken_without_waiting()
    {
        var inbox = new RowPushInbox(2);
        inbox.Accept(Push(0, version: 3));
        inbox.Accept(Push(1, version: 3));

        var pushes = await inbox.WaitAsync(Run, 3, CancellationToken.None);

        Assert.True(pushes.All(p => p[0].Version == 3));
        // Taken pushes are let go of (their arrays are garbage once the step copied them): a second wait waits.
        Assert.False(inbox.WaitAsync(Run, 3, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_late_older_push_after_the_newer_one_was_taken_is_still_refused()
    {
        var inbox = new RowPushInbox(1);
        inbox.Accept(Push(0, version: 4, sum: 4));
        await inbox.WaitAsync(Run, 4, CancellationToken.None);

        inbox.Accept(Push(0, version: 3, sum: 3));

        Assert.False(inbox.WaitAsync(Run, 3, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_push_of_another_run_or_version_does_not_complete_the_wait()
    {
        var inbox = new RowPushInbox(2);
        var waiting = inbox.WaitAsync(Run, 7, CancellationToken.None);
        inbox.Accept(Push(0, version: 7));
        inbox.Accept(Push(1, version: 7, run: Run + 1));   // an abandoned run's push
        Assert.False(waiting.IsCompleted);
        inbox.Accept(Push(1, version: 6));                  // an older version of this run
        Assert.False(waiting.IsCompleted);

        inbox.Accept(Push(1, version: 7));
        var pushes = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(pushes.All(p => p[0].RunToken == Run && p[0].Version == 7));
    }

    [Fact]
    public async Task A_late_push_of_an_older_version_of_the_same_run_does_not_replace_the_newer_one()
    {
        var inbox = new RowPushInbox(1);
        inbox.Accept(Push(0, version: 9, sum: 9));
        inbox.Accept(Push(0, version: 8, sum: 8));

        var pushes = await inbox.WaitAsync(Run, 9, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(9, pushes[0][0].ColumnSums[0]);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_and_a_cleared_inbox_waits_afresh()
    {
        var inbox = new RowPushInbox(2);
        inbox.Accept(Push(0, version: 2));
        using var cancel = new CancellationTokenSource();
        var waiting = inbox.WaitAsync(Run, 2, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        inbox.Accept(Push(1, version: 2));
        inbox.Clear();
        Assert.False(inbox.WaitAsync(Run, 2, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void A_push_from_a_shard_the_other_side_does_not_have_is_refused()
    {
        var inbox = new RowPushInbox(2);

        var refused = Assert.Throws<ShardStateException>(() => inbox.Accept(Push(2, version: 1)));

        Assert.Contains("shard 2", refused.Message);
    }

    [Fact]
    public async Task A_push_in_parts_is_taken_once_every_part_is_in_with_its_parts_in_row_order()
    {
        var inbox = new RowPushInbox(1);
        var waiting = inbox.WaitAsync(Run, 2, CancellationToken.None);
        // Rows 2–3 arrive before rows 0–1.
        inbox.Accept(new RowPush(0, Run, 2, [7, 7], new FetchedRows(new[] { 2f, 2f, 3f, 3f }, new[] { 1 }, new[] { -3f, -3f }), FirstRow: 2, Parts: 2));
        Assert.False(waiting.IsCompleted);
        inbox.Accept(new RowPush(0, Run, 2, [7, 7], new FetchedRows(new[] { 0f, 0f, 1f, 1f }, new[] { 0 }, new[] { -1f, -1f }), FirstRow: 0, Parts: 2));

        var parts = Assert.Single(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal([0, 2], parts.Select(p => p.FirstRow));
    }

    [Fact]
    public void Parts_of_an_older_version_are_dropped_when_a_newer_push_begins()
    {
        var inbox = new RowPushInbox(1);
        inbox.Accept(new RowPush(0, Run, 2, [1, 1], new FetchedRows(new[] { 0f }, [], []), FirstRow: 0, Parts: 2));
        inbox.Accept(new RowPush(0, Run, 3, [1, 1], new FetchedRows(new[] { 5f }, [], []), FirstRow: 0, Parts: 1));

        Assert.False(inbox.WaitAsync(Run, 2, CancellationToken.None).IsCompleted);
        Assert.True(inbox.WaitAsync(Run, 3, CancellationToken.None).IsCompleted);
    }
}
