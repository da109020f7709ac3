using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime.Tests.Activation;

public sealed class ActivationLifecycleTests
{
    [Fact]
    public async Task An_idle_grain_is_deactivated_after_the_idle_timeout_and_reactivated_by_the_next_call()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
            ConfigureCollection = o =>
            {
                o.IdleTimeout = TimeSpan.FromMilliseconds(300);
                o.CollectionInterval = TimeSpan.FromMilliseconds(50);
            },
        });
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("idle");
        await grain.Set(11);

        await WaitUntil(() => cluster.Silos[0].ActivationCount == 0, TimeSpan.FromSeconds(10));

        Assert.Equal(["activate", "deactivate"], journal.EventsOf("idle"));
        Assert.Equal(11, await grain.Get());
        Assert.Equal(["activate", "deactivate", "activate"], journal.EventsOf("idle"));
    }

    [Fact]
    public async Task A_call_running_when_its_silo_stops_sees_ActivationClosing_and_the_silo_stops_without_waiting_for_it()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions { ConfigureServices = (services, _) => services.AddSingleton(journal) });
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("closing");
        var call = grain.WaitUntilClosing(TimeSpan.FromMinutes(2));
        await WaitUntil(() => journal.EventsOf("closing").Contains("waiting"), TimeSpan.FromSeconds(10));

        // Stopping deactivates every grain, which waits for the running call: the call must end on the token.
        await cluster.StopSiloAsync(cluster.Silos[0]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(await call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["activate", "waiting", "deactivate"], journal.EventsOf("closing"));
    }

    [Fact]
    public async Task DelayDeactivation_keeps_an_idle_grain_until_the_delay_ends()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
            ConfigureCollection = o =>
            {
                o.IdleTimeout = TimeSpan.FromMilliseconds(200);
                o.CollectionInterval = TimeSpan.FromMilliseconds(50);
            },
        });
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("awake");
        await grain.StayAwake(TimeSpan.FromSeconds(2));

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(["activate"], journal.EventsOf("awake"));

        await grain.StayAwake(TimeSpan.Zero);
        await WaitUntil(() => cluster.Silos[0].ActivationCount == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(["activate", "deactivate"], journal.EventsOf("awake"));
    }

    [Fact]
    public async Task A_busy_grain_is_not_collected()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
            ConfigureCollection = o =>
            {
                // Long against the 50 ms between calls: this shared machine sometimes stalls the whole process for a second.
                o.IdleTimeout = TimeSpan.FromSeconds(3);
                o.CollectionInterval = TimeSpan.FromMilliseconds(100);
            },
        });
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("busy");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow < until)
        {
            await grain.Set(1);
            await Task.Delay(50);
        }

        Assert.Equal(["activate"], journal.EventsOf("busy"));
        Assert.True(cluster.Silos[0].HasActivation(new GrainId(typeof(ILifecycleGrain).FullName!, "busy")));
    }

    [Fact]
    public async Task Graceful_shutdown_runs_OnDeactivateAsync_of_every_grain_and_another_silo_takes_over_with_the_saved_state()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(2, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
        });
        var keys = Enumerable.Range(0, 20).Select(i => "shutdown" + i).ToArray();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            await cluster.Client.GetGrain<ILifecycleGrain>(key).Set(100 + i);
        }
        var leaving = cluster.Silos[0];
        var survivor = cluster.Silos[1];
        var onLeaving = keys.Where(k => leaving.HasActivation(new GrainId(typeof(ILifecycleGrain).FullName!, k))).ToArray();
        Assert.NotEmpty(onLeaving);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await cluster.StopSiloAsync(leaving, timeout.Token);

        foreach (var key in onLeaving)
        {
            Assert.Equal(["activate", "deactivate"], journal.EventsOf(key));
        }
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            var grain = cluster.Client.GetGrain<ILifecycleGrain>(key);
            Assert.Equal(100 + i, await grain.Get());
            Assert.Equal(survivor.Address.ToString(), await grain.Silo());
        }
    }

    [Fact]
    public async Task Calls_made_while_the_owner_shuts_down_are_not_lost()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(2, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
        });
        var leaving = cluster.Silos[0];
        var key = Enumerable.Range(0, 1000).Select(i => "racing" + i)
            .First(k => global::Hpf.Cluster.Runtime.Placement.RendezvousPlacement.PickOwner(new GrainId(typeof(ICounterGrain).FullName!, k), cluster.Membership.Snapshot.ActiveSilos) == leaving.Address);
        var grain = cluster.Client.GetGrain<ICounterGrain>(key);
        await grain.Add(1);

        var adds = Enumerable.Range(0, 50).Select(_ => grain.Add(1)).ToList();
        var stop = cluster.StopSiloAsync(leaving);
        adds.AddRange(Enumerable.Range(0, 50).Select(_ => grain.Add(1)));
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAll(adds).WaitAsync(TimeSpan.FromSeconds(20));

        // Counters are not persisted, so the total after the move only counts calls served by the new activation;
        // what matters is that every call completed without an exception.
        Assert.All(adds, a => Assert.True(a.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task DeactivateOnIdle_ends_the_activation_after_the_call_and_the_next_call_gets_a_new_one()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
        });
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("retire");
        await grain.Set(5);

        await grain.Retire();
        await WaitUntil(() => journal.EventsOf("retire").Count == 2, TimeSpan.FromSeconds(10));

        Assert.Equal(5, await grain.Get());
        Assert.Equal(["activate", "deactivate", "activate"], journal.EventsOf("retire"));
    }

    [Fact]
    public async Task Calls_racing_constant_idle_collection_are_neither_lost_nor_served_by_two_activations_at_once()
    {
        var journal = new LifecycleJournal();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.AddSingleton(journal),
            ConfigureCollection = o =>
            {
                o.IdleTimeout = TimeSpan.FromMilliseconds(1);
                o.CollectionInterval = TimeSpan.FromMilliseconds(2);
            },
        });
        var grain = cluster.Silos[0].GrainFactory.GetGrain<ILifecycleGrain>("churn");
        const int callers = 4;
        const int minimumCallsEach = 100;
        const int minimumActivations = 3;
        // Calls go on until the collector has closed the grain under them a few times: a fixed number of calls
        // left it never collected once when the four callers' gaps happened never to overlap.
        var exercised = false;

        var calling = Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
        {
            var values = new List<int>();
            while (values.Count < minimumCallsEach || !Volatile.Read(ref exercised))
            {
                values.Add(await grain.Increment());
                if (values.Count % 10 == 0 && journal.EventsOf("churn").Count(e => e == "activate") >= minimumActivations)
                    Volatile.Write(ref exercised, true);
                // Gaps long enough for the collector to deactivate the grain between calls.
                await Task.Delay(1 + caller);
            }
            return values;
        }));
        if (await Task.WhenAny(calling, Task.Delay(TimeSpan.FromSeconds(60))) != calling)
            Assert.Fail($"In 60 s the grain was activated {journal.EventsOf("churn").Count(e => e == "activate")} times, not {minimumActivations}: the collector did not close it under the calls.");
        var results = await calling;

        // Each increment saw the previous one: no activation started before the last one had saved its value.
        var all = results.SelectMany(v => v).Order().ToList();
        Assert.Equal(Enumerable.Range(1, all.Count), all);
        Assert.True(journal.EventsOf("churn").Count(e => e == "activate") >= minimumActivations);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
