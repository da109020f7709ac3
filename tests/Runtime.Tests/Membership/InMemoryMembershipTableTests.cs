using Hpf.Cluster.Runtime.Membership;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Membership;

public sealed class InMemoryMembershipTableTests(ITestOutputHelper output) : MembershipTableContract(output)
{
    // One table per cluster id stands for the shared database; every "connection" to it is the same object.
    private readonly Dictionary<string, InMemoryMembershipTable> _clusters = [];

    protected override IMembershipTable CreateTable(string clusterId)
    {
        lock (_clusters)
        {
            if (!_clusters.TryGetValue(clusterId, out var table))
                _clusters[clusterId] = table = new InMemoryMembershipTable(clusterId);
            return table;
        }
    }
}
