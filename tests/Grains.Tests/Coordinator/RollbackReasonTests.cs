using Hpf.Cluster.Grains.Coordinator;
using Hpf.Cluster.Grains.Shards;

namespace Hpf.Cluster.Grains.Tests.Coordinator;

/// <summary>A rollback's reason is shown to users (status, the jobs page): plain words, never Orleans' message headers or .NET type names.</summary>
public sealed class RollbackReasonTests
{
    private const string OrleansText = "The target silo became unavailable for message: Request [S127.0.0.1:11111:1]->[S127.0.0.1:11112:1 usershard/job/u/1] "
        + "Hpf.Cluster.Grains.Interfaces.IShardGrain.HalfStep(...) #7A76. See https://aka.ms/orleans-troubleshooting";

    public static TheoryData<Exception, bool> Failures() => new()
    {
        { new SiloUnavailableException(OrleansText), true },
        { new AggregateException(new SiloUnavailableException(OrleansText)), true },
        { new OrleansException(OrleansText), false },
        { new TimeoutException(OrleansText), false },
        { new OperationCanceledException(OrleansText), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Orleans_failures_read_in_plain_words_and_a_vanished_silo_counts_as_lost(Exception failure, bool siloLost)
    {
        var (why, lost) = RollbackReason.Of(failure);

        Assert.Equal(siloLost, lost);
        Assert.DoesNotContain("Hpf.Cluster", why);
        Assert.DoesNotContain("Request [", why);
        Assert.DoesNotContain("Exception", why);
    }

    [Fact]
    public void A_shards_own_complaint_is_kept_as_it_is_written()
    {
        var (why, lost) = RollbackReason.Of(new ShardStateException("user shard 2 is at version 7, not 6"));

        Assert.Equal("user shard 2 is at version 7, not 6", why);
        Assert.False(lost);
    }
}
