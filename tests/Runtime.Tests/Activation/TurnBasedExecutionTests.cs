using Hpf.Cluster.Runtime.Tests.Calls;
using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Activation;

public sealed class TurnBasedExecutionTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    [Fact]
    public async Task Concurrent_callers_never_overlap_inside_a_grain_and_each_callers_calls_are_served_in_order()
    {
        var key = fixture.KeyOn<ITurnGrain>(1, "turns");
        const int callers = 8;
        const int callsEach = 25;

        // Half the callers are the client, half are silo 0's factory (both remote to silo 1); each caller issues
        // its calls without awaiting the previous one, so the activation queue holds many at once.
        var tasks = Enumerable.Range(0, callers).Select(caller =>
        {
            var factory = caller % 2 == 0 ? fixture.Cluster.Client : fixture.Cluster.Silos[0].GrainFactory;
            var grain = factory.GetGrain<ITurnGrain>(key);
            return Task.Run(async () =>
            {
                var calls = new List<Task<int>>();
                for (var sequence = 0; sequence < callsEach; sequence++)
                {
                    calls.Add(grain.Step(caller, sequence));
                    await Task.Yield();
                }
                return await Task.WhenAll(calls);
            });
        }).ToArray();
        var arrivals = (await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60))).SelectMany(a => a).ToArray();

        var grain = fixture.Cluster.Client.GetGrain<ITurnGrain>(key);
        Assert.Equal(1, await grain.MaxConcurrency());
        Assert.Equal(Enumerable.Range(1, callers * callsEach), arrivals.Order());
        for (var caller = 0; caller < callers; caller++)
        {
            // Every call was served exactly once. (Calls a caller has in flight at once to another silo are each
            // served on the thread pool as they arrive and may overtake each other; strict order holds for calls made in sequence
            // and for callers on the grain's own silo, tested below.)
            Assert.Equal(Enumerable.Range(0, callsEach), (await grain.Served(caller)).Order());
        }
    }

    [Fact]
    public async Task Calls_from_one_caller_on_the_same_silo_are_served_in_the_order_they_were_made()
    {
        var key = fixture.KeyOn<ITurnGrain>(0, "local-order");
        var grain = fixture.Cluster.Silos[0].GrainFactory.GetGrain<ITurnGrain>(key);

        var calls = Enumerable.Range(0, 100).Select(sequence => grain.Step(7, sequence)).ToArray();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 100), await grain.Served(7));
        Assert.Equal(1, await grain.MaxConcurrency());
    }

    [Fact]
    public async Task A_reentrant_grain_lets_calls_interleave()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRendezvousGrain>(fixture.KeyOn<IRendezvousGrain>(1, "meet"));

        // Both calls wait inside the grain until the other has arrived: this finishes only if they interleave.
        var results = await Task.WhenAll(grain.Meet(2), grain.Meet(2)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([2, 2], results);
    }

    [Fact]
    public async Task A_method_marked_reentrant_runs_while_another_call_is_inside()
    {
        var key = fixture.KeyOn<ITurnGrain>(0, "peek");
        var grain = fixture.Cluster.Silos[0].GrainFactory.GetGrain<ITurnGrain>(key);
        await grain.MaxConcurrency();

        var steps = Task.WhenAll(Enumerable.Range(0, 200).Select(i => grain.Step(1, i)));
        var sawInside = false;
        // Steps queue behind one another for a few hundred milliseconds; Peek must get in between them.
        while (!sawInside && !steps.IsCompleted)
        {
            sawInside = await grain.Peek() == 1;
            await Task.Delay(1);
        }
        await steps.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(sawInside, "Peek never ran while a Step was inside the grain");
    }
}
