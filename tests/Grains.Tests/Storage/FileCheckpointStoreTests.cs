using Xunit.Abstractions;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>The contract on the file store; each store is a new instance on the same directory, as another process would be.</summary>
[Collection(CheckpointStoreCollection.Name)]
public sealed class FileCheckpointStoreTests(ITestOutputHelper output) : StreamingCheckpointStoreContract(output), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-checkpoints-").FullName;

    protected override ICheckpointStore CreateStore() => new FileCheckpointStore(new FileCheckpointStoreOptions { Directory = _directory });

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_default_directory_is_under_local_application_data()
    {
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        Assert.Equal(Path.Combine(local, "hpf-cluster", "checkpoints"), new FileCheckpointStoreOptions().Directory);
    }

    [Fact]
    public async Task State_lives_in_one_file_per_grain_inside_the_directory_and_nothing_else_is_left()
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, "job.1/shard:2", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(GrainType, "job.1/shard:2", async (s, ct) =>
        {
            await StatePattern.WriteAsync(s, 1000, 2, ct);
            throw new InvalidOperationException("failed");
        }, etag, default));

        var files = Directory.GetFiles(_directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_directory, f)).Order().ToArray();
        var folder = FileCheckpointStore.EscapeName(GrainType);
        Assert.Equal([Path.Combine(folder, "job%2E1%2Fshard%3A2.ckpt"), Path.Combine(folder, "job%2E1%2Fshard%3A2.lock")], files);
        // The etag is in the file, so a new store (a restarted process) reads it back.
        Assert.Equal(etag, await CreateStore().ReadAsync(GrainType, "job.1/shard:2", (s, ct) => StatePattern.VerifyAsync(s, 1000, 1, ct), default));
    }

    [Fact]
    public async Task Names_too_long_for_a_file_system_are_hashed_and_still_distinct()
    {
        var store = CreateStore();
        var (a, b) = (new string('a', 300), new string('a', 299) + "b");
        await store.WriteAsync(GrainType, a, (s, ct) => StatePattern.WriteAsync(s, 100, 1, ct), null, default);
        await store.WriteAsync(GrainType, b, (s, ct) => StatePattern.WriteAsync(s, 100, 2, ct), null, default);

        Assert.NotNull(await store.ReadAsync(GrainType, a, (s, ct) => StatePattern.VerifyAsync(s, 100, 1, ct), default));
        Assert.NotNull(await store.ReadAsync(GrainType, b, (s, ct) => StatePattern.VerifyAsync(s, 100, 2, ct), default));
        Assert.All(Directory.GetFiles(Path.Combine(_directory, FileCheckpointStore.EscapeName(GrainType))), f => Assert.True(Path.GetFileName(f).Length < 100));
    }

    [Fact]
    public async Task A_commit_waits_while_another_process_holds_the_lock_file()
    {
        var store = CreateStore();
        var etag = await store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 100, 1, ct), null, default);
        var lockFile = Path.Combine(_directory, FileCheckpointStore.EscapeName(GrainType), "g.lock");

        Task<string> write;
        // Another process in the middle of its commit: the lock file is open exclusively.
        using (new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            write = store.WriteAsync(GrainType, "g", (s, ct) => StatePattern.WriteAsync(s, 100, 2, ct), etag, default);
            await Task.Delay(500);
            Assert.False(write.IsCompleted);
            Assert.Equal(etag, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 100, 1, ct), default));
        }

        var next = await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(next, await store.ReadAsync(GrainType, "g", (s, ct) => StatePattern.VerifyAsync(s, 100, 2, ct), default));
    }

    [Fact]
    public async Task A_file_that_is_not_a_checkpoint_is_reported_not_read()
    {
        var folder = Path.Combine(_directory, FileCheckpointStore.EscapeName(GrainType));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "g.ckpt"), "not a checkpoint, but long enough to fill a header");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CreateStore().ReadAsync(GrainType, "g", (_, _) => Task.CompletedTask, default));
        Assert.Contains("g.ckpt", error.Message);
    }
}
