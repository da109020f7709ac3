using Hpf.Cluster.Runtime.Storage;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Storage;

/// <summary>
/// The behaviour every grain-state store must have, checked once per provider by the derived classes. Each
/// store instance stands for one process's connection to the shared database.
/// </summary>
public abstract class GrainStateStoreContract(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IGrainStateStore> _stores = [];

    protected ITestOutputHelper Output { get; } = output;

    protected string GrainType { get; } = "test.grain." + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A new connection to the provider's shared store, or null when the provider cannot be tested here.</summary>
    protected abstract IGrainStateStore? CreateStore();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
    }

    [Fact]
    public async Task Absent_state_reads_as_null_without_calling_back()
    {
        if (await OpenAsync() is not { } store) return;
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
        if (await OpenAsync() is not { } store) return;
        var etag = await store.WriteAsync(GrainType, "g1", (s, ct) => StatePattern.WriteAsync(s, bytes, 1, ct), null, default);
        Assert.False(string.IsNullOrEmpty(etag));

        Assert.Equal(etag, await store.ReadAsync(GrainType, "g1", (s, ct) => StatePattern.VerifyAsync(s, bytes, 1, ct), default));
    }

    [Fact]
    public async Task Each_write_gets_a_new_etag_and_replaces_the_state()
    {
        if (await OpenAsync() is not { } store) return;
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 5_000_000, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 1000, 2, ct), first, default);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 1000, 2, ct), default));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_names_both_etags()
    {
        if (await OpenAsync() is not { } store) return;
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 100, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 200, 2, ct), first, default);

        var conflict = await Assert.ThrowsAsync<GrainStateConflictException>(() =>
            store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 300, 3, ct), first, default));

        Assert.Equal((GrainType, "g", first, second), (conflict.GrainType, conflict.GrainId, conflict.ExpectedETag, conflict.ActualETag));
        Assert.Contains($"{GrainType}/g", conflict.Message);
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 200, 2, ct), default));
    }

    [Fact]
    public async Task Expecting_no_state_when_there_is_one_or_an_etag_when_there_is_none_is_refused()
    {
        if (await OpenAsync() is not { } store) return;
        var etag = await store.WriteAsync(GrainType, "exists", (s, ct) => StatePattern.WriteAsync(s, 10, 1, ct), null, default);

        var exists = await Assert.ThrowsAsync<GrainStateConflictException>(() =>
            store.WriteAsync(GrainType, "exists", (s, ct) => StatePattern.WriteAsync(s, 10, 2, ct), null, default));
        var absent = await Assert.ThrowsAsync<GrainStateConflictException>(() =>
            store.WriteAsync(GrainType, "absent", (s, ct) => StatePattern.WriteAsync(s, 10, 2, ct), etag, default));

        Assert.Equal((null, etag), (exists.ExpectedETag, exists.ActualETag));
        Assert.Equal((etag, null), (absent.ExpectedETag, absent.ActualETag));
        Assert.Null(await store.ReadAsync(GrainType, "absent", (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task Clear_needs_the_current_etag_and_removes_the_state()
    {
        if (await OpenAsync() is not { } store) return;
        var first = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 2_500_000, 1, ct), null, default);
        var second = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 2_500_000, 2, ct), first, default);

        await Assert.ThrowsAsync<GrainStateConflictException>(() => store.ClearAsync(GrainType, "g", first, default));
        await Assert.ThrowsAsync<GrainStateConflictException>(() => store.ClearAsync(GrainType, "g", null, default));
        Assert.Equal(second, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 2_500_000, 2, ct), default));

        await store.ClearAsync(GrainType, "g", second, default);

        Assert.Null(await store.ReadAsync(GrainType, "g", (_, _) => Task.CompletedTask, default));
        await store.ClearAsync(GrainType, "g", null, default);
        await Assert.ThrowsAsync<GrainStateConflictException>(() => store.ClearAsync(GrainType, "g", second, default));
        var again = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 10, 3, ct), null, default);
        Assert.Equal(again, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 10, 3, ct), default));
    }

    [Fact]
    public async Task Grains_of_different_types_and_ids_are_independent()
    {
        if (await OpenAsync() is not { } store) return;
        var otherType = GrainType + ".other";
        await store.WriteAsync(GrainType, "a", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);
        await store.WriteAsync(GrainType, "b", (s, ct) => StatePattern.WriteAsync(s, 2000, 2, ct), null, default);
        var other = await store.WriteAsync(otherType, "a", (s, ct) => StatePattern.WriteAsync(s, 3000, 3, ct), null, default);

        await store.ClearAsync(otherType, "a", other, default);

        Assert.NotNull(await store.ReadAsync(GrainType, "a", (s, ct) => StatePattern.VerifyAsync(s, 1000, 1, ct), default));
        Assert.NotNull(await store.ReadAsync(GrainType, "b", (s, ct) => StatePattern.VerifyAsync(s, 2000, 2, ct), default));
        Assert.Null(await store.ReadAsync(otherType, "a", (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task Two_writers_on_separate_connections_with_the_same_etag_one_wins()
    {
        if (await OpenAsync() is not { } first || await OpenAsync() is not { } second) return;
        var etag = await first.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);

        var writes = new[] { (first, 2UL), (second, 3UL) }.Select(writer => Task.Run(async () =>
        {
            try
            {
                return (Seed: writer.Item2, ETag: (string?)await writer.Item1.WriteAsync(GrainType, "g",
                    (s, ct) => StatePattern.WriteAsync(s, 3_000_000, writer.Item2, ct), etag, default));
            }
            catch (GrainStateConflictException)
            {
                return (Seed: writer.Item2, ETag: (string?)null);
            }
        })).ToArray();
        var results = await Task.WhenAll(writes);

        var winner = Assert.Single(results, result => result.ETag is not null);
        Assert.Equal(winner.ETag, await first.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 3_000_000, winner.Seed, ct), default));
    }

    [Fact]
    public async Task A_read_sees_one_whole_version_while_another_connection_replaces_it()
    {
        if (await OpenAsync() is not { } reader || await OpenAsync() is not { } writer) return;
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
        if (await OpenAsync() is not { } store) return;
        const int size = 3_000_000;
        var etag = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, size, 1, ct), null, default);
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(GrainType, "g", async (s, _) =>
        {
            // Part of the new state reaches the store before the cancellation, whichever chunk size it uses.
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

    protected async Task<IGrainStateStore?> OpenAsync()
    {
        var store = CreateStore();
        if (store is null) return null;
        _stores.Add(store);
        await store.InitializeAsync(default);
        return store;
    }
}
