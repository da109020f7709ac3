using Xunit.Abstractions;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>
/// The behaviour every checkpoint store must have, checked once per store by the derived classes. Each store from
/// <see cref="CreateStore"/> stands for one process's view of the same storage.
/// </summary>
public abstract class CheckpointStoreContract(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    protected string GrainType { get; } = "test.grain." + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A new store on the same storage as every other store this test creates.</summary>
    protected abstract ICheckpointStore CreateStore();

    [Fact]
    public async Task Absent_state_reads_as_null_without_calling_back()
    {
        var store = CreateStore();
        var called = false;
        var etag = await store.ReadAsync(GrainType, "nobody", (_, _) => { called = true; return Task.CompletedTask; }, default);
        Assert.Null(etag);
        Assert.False(called);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public async Task A_state_round_trips_with_its_etag(int bytes)
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, "g1", (s, ct) => StatePattern.WriteAsync(s, bytes, 1, ct), null, default);
        Assert.False(string.IsNullOrEmpty(etag));

        Assert.Equal(etag, await store.ReadAsync(GrainType, "g1", (s, ct) => StatePattern.VerifyAsync(s, bytes, 1, ct), default));
    }

    [Fact]
    public async Task The_callbacks_get_forward_only_streams()
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, "g", (s, ct) =>
        {
            Assert.True(s.CanWrite);
            Assert.False(s.CanSeek);
            return StatePattern.WriteAsync(s, 100, 1, ct);
        }, null, default);
        await store.ReadAsync(GrainType, "g", (s, ct) =>
        {
            Assert.True(s.CanRead);
            Assert.False(s.CanSeek);
            return StatePattern.VerifyAsync(s, 100, 1, ct);
        }, default);
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task Each_write_gets_a_new_etag_and_replaces_the_state()
    {
        var store = CreateStore();
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 5_000_000, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 1000, 2, ct), first, default);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 1000, 2, ct), default));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_leaves_the_state()
    {
        var store = CreateStore();
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 100, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 200, 2, ct), first, default);

        var conflict = await Assert.ThrowsAsync<CheckpointConflictException>(() =>
            store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 300, 3, ct), first, default));

        Assert.Equal((GrainType, "g", first, second), (conflict.GrainType, conflict.GrainId, conflict.ExpectedETag, conflict.ActualETag));
        Assert.Contains($"grain {GrainType}/g", conflict.Message);
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 200, 2, ct), default));
    }

    [Fact]
    public async Task Expecting_no_state_when_there_is_one_or_an_etag_when_there_is_none_is_refused()
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, "exists", (s, ct) => StatePattern.WriteAsync(s, 10, 1, ct), null, default);

        var exists = await Assert.ThrowsAsync<CheckpointConflictException>(() =>
            store.WriteAsync(GrainType, "exists", (s, ct) => StatePattern.WriteAsync(s, 10, 2, ct), null, default));
        var absent = await Assert.ThrowsAsync<CheckpointConflictException>(() =>
            store.WriteAsync(GrainType, "absent", (s, ct) => StatePattern.WriteAsync(s, 10, 2, ct), etag, default));

        Assert.Equal((null, etag), (exists.ExpectedETag, exists.ActualETag));
        Assert.Equal((etag, null), (absent.ExpectedETag, absent.ActualETag));
        Assert.Equal(etag, await store.ReadAsync(GrainType, "exists", (s, ct) => StatePattern.VerifyAsync(s, 10, 1, ct), default));
        Assert.Null(await store.ReadAsync(GrainType, "absent", (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task Clear_needs_the_current_etag_and_removes_the_state()
    {
        var store = CreateStore();
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 2_500_000, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 2_500_000, 2, ct), first, default);

        var stale = await Assert.ThrowsAsync<CheckpointConflictException>(() => store.ClearAsync(GrainType, "g", first, default));
        var none = await Assert.ThrowsAsync<CheckpointConflictException>(() => store.ClearAsync(GrainType, "g", null, default));
        Assert.Equal((first, second), (stale.ExpectedETag, stale.ActualETag));
        Assert.Equal((null, second), (none.ExpectedETag, none.ActualETag));
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 2_500_000, 2, ct), default));

        await store.ClearAsync(GrainType, "g", second, default);

        Assert.Null(await store.ReadAsync(GrainType, "g", (_, _) => Task.CompletedTask, default));
        await store.ClearAsync(GrainType, "g", null, default);
        var gone = await Assert.ThrowsAsync<CheckpointConflictException>(() => store.ClearAsync(GrainType, "g", second, default));
        Assert.Equal((second, null), (gone.ExpectedETag, gone.ActualETag));
        var again = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 10, 3, ct), null, default);
        Assert.Equal(again, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 10, 3, ct), default));
    }

    [Fact]
    public async Task Clearing_state_that_was_never_written_expecting_none_does_nothing()
    {
        var store = CreateStore();
        await store.ClearAsync(GrainType + ".never", "g", null, default);
        Assert.Null(await store.ReadAsync(GrainType + ".never", "g", (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task Grains_of_different_types_and_ids_are_independent()
    {
        var store = CreateStore();
        var otherType = GrainType + ".other";
        await store.WriteAsync(GrainType, "a", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);
        await store.WriteAsync(GrainType, "b", (s, ct) => StatePattern.WriteAsync(s, 2000, 2, ct), null, default);
        var other = await store.WriteAsync(otherType, "a", (s, ct) => StatePattern.WriteAsync(s, 3000, 3, ct), null, default);

        await store.ClearAsync(otherType, "a", other, default);

        Assert.NotNull(await store.ReadAsync(GrainType, "a", (s, ct) => StatePattern.VerifyAsync(s, 1000, 1, ct), default));
        Assert.NotNull(await store.ReadAsync(GrainType, "b", (s, ct) => StatePattern.VerifyAsync(s, 2000, 2, ct), default));
        Assert.Null(await store.ReadAsync(otherType, "a", (_, _) => Task.CompletedTask, default));
    }

    [Theory]
    [InlineData("job-7/shard-3")]
    [InlineData("v1.")]
    [InlineData(".hidden/..x")]
    [InlineData("a b%c:d\\e")]
    [InlineData("Grüße ✓")]
    public async Task Ids_with_separators_dots_and_other_characters_name_their_own_state(string grainId)
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, grainId, (s, ct) => StatePattern.WriteAsync(s, 1000, 4, ct), null, default);
        var plain = await store.WriteAsync(GrainType, "plain", (s, ct) => StatePattern.WriteAsync(s, 1000, 5, ct), null, default);

        Assert.Equal(etag, await store.ReadAsync(GrainType, grainId, (s, ct) => StatePattern.VerifyAsync(s, 1000, 4, ct), default));
        Assert.Equal(plain, await store.ReadAsync(GrainType, "plain", (s, ct) => StatePattern.VerifyAsync(s, 1000, 5, ct), default));
        await store.ClearAsync(GrainType, grainId, etag, default);
        Assert.Null(await store.ReadAsync(GrainType, grainId, (_, _) => Task.CompletedTask, default));
    }

    [Theory]
    [InlineData("", "g")]
    [InlineData("t", "")]
    [InlineData("a/b", "g")]
    [InlineData("t", "..")]
    [InlineData("t", "job/./3")]
    [InlineData("t", "job//3")]
    [InlineData("t", "job/")]
    public async Task An_empty_key_a_type_with_a_slash_or_an_id_with_a_dot_or_empty_segment_is_refused(string grainType, string grainId)
    {
        var store = CreateStore();
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(grainType, grainId, (_, _) => Task.CompletedTask, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(grainType, grainId, (_, _) => Task.CompletedTask, null, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ClearAsync(grainType, grainId, null, default));
    }

    [Fact]
    public async Task Two_stores_on_the_same_storage_see_each_others_writes()
    {
        var (first, second) = (CreateStore(), CreateStore());
        var etag = await first.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 100_000, 1, ct), null, default);

        Assert.Equal(etag, await second.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 100_000, 1, ct), default));
        var next = await second.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 50_000, 2, ct), etag, default);
        Assert.Equal(next, await first.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 50_000, 2, ct), default));
        await Assert.ThrowsAsync<CheckpointConflictException>(() =>
            first.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 10, 3, ct), etag, default));
        await first.ClearAsync(GrainType, "g", next, default);
        Assert.Null(await second.ReadAsync(GrainType, "g", (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task Two_writers_on_separate_stores_with_the_same_etag_one_wins()
    {
        var (first, second) = (CreateStore(), CreateStore());
        var etag = await first.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);

        var writes = new[] { (first, 2UL), (second, 3UL) }.Select(writer => Task.Run(async () =>
        {
            try
            {
                return (Seed: writer.Item2, ETag: (string?)await writer.Item1.WriteAsync(GrainType, "g",
                    (s, ct) => StatePattern.WriteAsync(s, 3_000_000, writer.Item2, ct), etag, default));
            }
            catch (CheckpointConflictException)
            {
                return (Seed: writer.Item2, ETag: (string?)null);
            }
        })).ToArray();
        var results = await Task.WhenAll(writes);

        var winner = Assert.Single(results, result => result.ETag is not null);
        Assert.Equal(winner.ETag, await first.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 3_000_000, winner.Seed, ct), default));
    }

    [Fact]
    public async Task Two_stores_creating_the_same_state_at_once_one_wins()
    {
        var (first, second) = (CreateStore(), CreateStore());
        // Both pass the early check (no state yet) and race to commit: only the final, locked or conditional check decides.
        using var bothWriting = new Barrier(2);
        var writes = new[] { (first, 1UL), (second, 2UL) }.Select(writer => Task.Run(async () =>
        {
            try
            {
                return (Seed: writer.Item2, ETag: (string?)await writer.Item1.WriteAsync(GrainType, "new", async (s, ct) =>
                {
                    await StatePattern.WriteAsync(s, 1_000_000, writer.Item2, ct);
                    bothWriting.SignalAndWait(TimeSpan.FromSeconds(10));
                }, null, default));
            }
            catch (CheckpointConflictException)
            {
                return (Seed: writer.Item2, ETag: (string?)null);
            }
        })).ToArray();
        var results = await Task.WhenAll(writes);

        var winner = Assert.Single(results, result => result.ETag is not null);
        Assert.Equal(winner.ETag, await second.ReadAsync(GrainType, "new", (s, ct) => StatePattern.VerifyAsync(s, 1_000_000, winner.Seed, ct), default));
    }

    [Fact]
    public async Task A_read_sees_one_whole_version_while_another_store_replaces_it()
    {
        var (reader, writer) = (CreateStore(), CreateStore());
        const int size = 6_000_000;
        var old = await writer.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, size, 1, ct), null, default);
        string? replacement = null;

        var seen = await reader.ReadAsync(GrainType, "g", async (s, ct) =>
        {
            // The read has begun; a whole new version is committed before any of its bytes are consumed.
            replacement = await writer.WriteAsync(GrainType, "g", (w, wct) => StatePattern.WriteAsync(w, size, 2, wct), old, ct);
            await StatePattern.VerifyAsync(s, size, 1, ct);
        }, default);

        Assert.Equal(old, seen);
        Assert.NotNull(replacement);
        Assert.Equal(replacement, await reader.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, size, 2, ct), default));
    }

    [Fact]
    public async Task A_cancelled_or_failed_write_leaves_the_previous_state()
    {
        var store = CreateStore();
        const int size = 3_000_000;
        var etag = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, size, 1, ct), null, default);
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(GrainType, "g", async (s, _) =>
        {
            // Part of the new state reaches the store before the cancellation, whichever block size it uses.
            await StatePattern.WriteAsync(s, 9_000_000, 2, CancellationToken.None);
            await cancellation.CancelAsync();
            await StatePattern.WriteAsync(s, 9_000_000, 3, CancellationToken.None);
        }, etag, cancellation.Token));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(GrainType, "g", async (s, ct) =>
        {
            await StatePattern.WriteAsync(s, 9_000_000, 4, ct);
            throw new InvalidOperationException("the grain failed while serialising");
        }, etag, default));

        Assert.Equal(etag, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, size, 1, ct), default));
        var next = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 10, 5, ct), etag, default);
        Assert.NotEqual(etag, next);
    }

    [Fact]
    public async Task A_failed_first_write_leaves_no_state()
    {
        var store = CreateStore();
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(GrainType, "new", async (s, ct) =>
        {
            await StatePattern.WriteAsync(s, 9_000_000, 1, ct);
            throw new InvalidOperationException("the grain failed while serialising");
        }, null, default));

        Assert.Null(await store.ReadAsync(GrainType, "new", (_, _) => Task.CompletedTask, default));
        await store.ClearAsync(GrainType, "new", null, default);
    }
}
