using Xunit.Abstractions;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>The contract on the in-memory store; "another store" is the same instance, as there is no shared storage.</summary>
[Collection(CheckpointStoreCollection.Name)]
public sealed class InMemoryCheckpointStoreTests(ITestOutputHelper output) : CheckpointStoreContract(output)
{
    private readonly InMemoryCheckpointStore _store = new();

    protected override ICheckpointStore CreateStore() => _store;

    [Fact]
    public async Task Keys_lists_the_grains_that_have_state()
    {
        var etag = await _store.WriteAsync(GrainType, "a", (s, ct) => StatePattern.WriteAsync(s, 10, 1, ct), null, default);
        await _store.WriteAsync(GrainType, "b", (s, ct) => StatePattern.WriteAsync(s, 10, 2, ct), null, default);
        await _store.ClearAsync(GrainType, "a", etag, default);

        Assert.Equal([(GrainType, "b")], _store.Keys);
    }
}
