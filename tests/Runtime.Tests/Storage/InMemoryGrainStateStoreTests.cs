using Hpf.Cluster.Runtime.Storage;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Storage;

[Collection(GrainStateStoreCollection.Name)]
public sealed class InMemoryGrainStateStoreTests(ITestOutputHelper output) : GrainStateStoreContract(output)
{
    // The in-memory store is the shared database itself: every "connection" is the same object.
    private readonly InMemoryGrainStateStore _store = new();

    protected override IGrainStateStore CreateStore() => _store;
}
