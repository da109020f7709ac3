using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Calls;

public sealed class GrainCallTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    private IGrainFactory Client => fixture.Cluster.Client;

    [Fact]
    public async Task A_call_from_the_client_reaches_the_owning_silo_and_returns_its_result()
    {
        for (var silo = 0; silo < 2; silo++)
        {
            var key = fixture.KeyOn<ICounterGrain>(silo, "result");
            var grain = Client.GetGrain<ICounterGrain>(key);
            Assert.Equal(5, await grain.Add(5));
            Assert.Equal(7, await grain.Add(2));
            Assert.Equal(fixture.Cluster.Silos[silo].Address.ToString(), await grain.WhereAmI());
            Assert.True(fixture.Cluster.Silos[silo].HasActivation(new GrainId(typeof(ICounterGrain).FullName!, key)));
        }
    }

    [Fact]
    public async Task A_grain_calls_a_grain_on_the_other_silo()
    {
        var caller = fixture.KeyOn<ICounterGrain>(0, "caller");
        var callee = fixture.KeyOn<ICounterGrain>(1, "callee");
        var remoteBefore = fixture.Cluster.Silos[0].Metrics.RemoteCalls;

        Assert.Equal(3, await Client.GetGrain<ICounterGrain>(caller).AddToOther(callee, 3));

        Assert.Equal(3, await Client.GetGrain<ICounterGrain>(callee).Get());
        Assert.True(fixture.Cluster.Silos[0].Metrics.RemoteCalls > remoteBefore);
    }

    [Fact]
    public async Task An_exception_in_a_remote_grain_names_the_grain_method_silo_and_remote_exception()
    {
        var key = fixture.KeyOn<ICounterGrain>(1, "fail");

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => Client.GetGrain<ICounterGrain>(key).Fail("boom"));

        Assert.Equal(typeof(ICounterGrain).FullName, ex.GrainType);
        Assert.Equal(key, ex.GrainKey);
        Assert.Equal(nameof(ICounterGrain.Fail), ex.MethodName);
        Assert.Equal(fixture.Cluster.Silos[1].Address.ToString(), ex.Silo);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.RemoteExceptionType);
        Assert.Equal("boom", ex.RemoteMessage);
        // The grain is still usable after a failed call.
        Assert.Equal(1, await Client.GetGrain<ICounterGrain>(key).Add(1));
    }

    [Fact]
    public async Task An_exception_in_a_grain_on_the_same_silo_is_the_same_typed_exception_with_the_original_inside()
    {
        var caller = fixture.KeyOn<ICounterGrain>(0, "local-fail");
        var factory = fixture.Cluster.Silos[0].GrainFactory;

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => factory.GetGrain<ICounterGrain>(caller).Fail("local boom"));

        Assert.Equal(typeof(InvalidOperationException).FullName, ex.RemoteExceptionType);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    [Fact]
    public async Task A_call_between_grains_of_one_silo_is_not_serialized()
    {
        var silo = fixture.Cluster.Silos[0];
        var caller = fixture.KeyOn<ICounterGrain>(0, "same-a");
        var callee = fixture.KeyOn<ICounterGrain>(0, "same-b");
        var factory = silo.GrainFactory;
        await factory.GetGrain<ICounterGrain>(caller).Get();
        var serializedBefore = silo.Metrics.MessagesSerialized + fixture.Cluster.Silos[1].Metrics.MessagesSerialized;
        var localBefore = silo.Metrics.LocalCalls;

        for (var i = 0; i < 10; i++)
        {
            await factory.GetGrain<ICounterGrain>(caller).AddToOther(callee, 1);
        }

        Assert.Equal(serializedBefore, silo.Metrics.MessagesSerialized + fixture.Cluster.Silos[1].Metrics.MessagesSerialized);
        Assert.Equal(localBefore + 20, silo.Metrics.LocalCalls);
        Assert.Equal(10, await factory.GetGrain<ICounterGrain>(callee).Get());
    }

    [Fact]
    public async Task A_float_array_and_a_record_of_arrays_cross_silos_intact()
    {
        var key = fixture.KeyOn<ICounterGrain>(1, "arrays");
        var grain = Client.GetGrain<ICounterGrain>(key);
        var values = Enumerable.Range(0, 1 << 20).Select(i => i * 0.5f - 7f).ToArray();

        Assert.Equal(values, await grain.Echo(values));

        var batch = new Batch("b", [1, 2, 3], [1.5f, float.NaN], null, [new Pair(7, 0.25), new Pair(-1, double.MaxValue)], BatchKind.Items, 42);
        var back = await grain.EchoBatch(batch);
        Assert.Equal(batch.Name, back.Name);
        Assert.Equal(batch.Indices, back.Indices);
        Assert.Equal(batch.Values, back.Values);
        Assert.Null(back.Weights);
        Assert.Equal(batch.Pairs, back.Pairs);
        Assert.Equal(BatchKind.Items, back.Kind);
        Assert.Equal(42L, back.Iteration);
    }

    [Fact]
    public async Task A_call_that_outlives_the_call_timeout_fails_with_TimeoutException()
    {
        await using var cluster = await Testing.TestCluster.StartAsync(1, new Testing.TestClusterOptions { CallTimeout = TimeSpan.FromMilliseconds(300) });
        var grain = cluster.Client.GetGrain<ICounterGrain>("slow");
        var started = System.Diagnostics.Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => grain.Slow(20_000, CancellationToken.None));

        Assert.Contains(nameof(ICounterGrain.Slow), ex.Message);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        // The grain saw the cancellation too, so it is free again at once.
        Assert.Equal(5, await grain.Slow(5, CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_a_remote_call_cancels_it_in_the_grain()
    {
        var key = fixture.KeyOn<ICounterGrain>(1, "cancel");
        var grain = Client.GetGrain<ICounterGrain>(key);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grain.Slow(20_000, cts.Token));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        // The cancelled call left the activation: the next call is served promptly.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await grain.Slow(1, bound.Token));
    }

    [Fact]
    public async Task Cancelling_a_call_on_the_same_silo_cancels_it_in_the_grain()
    {
        var key = fixture.KeyOn<ICounterGrain>(0, "cancel-local");
        var grain = fixture.Cluster.Silos[0].GrainFactory.GetGrain<ICounterGrain>(key);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grain.Slow(20_000, cts.Token));
    }

    [Fact]
    public async Task A_call_sent_to_a_silo_that_does_not_own_the_grain_is_forwarded_to_the_owner()
    {
        var silos = fixture.Cluster.Silos;
        var key = fixture.KeyOn<ICounterGrain>(1, "forward");
        // A client whose view lists only silo 0 sends every call there; silo 0's view says silo 1 owns the grain.
        var staleBoard = new Testing.TestMembershipBoard();
        staleBoard.Add(silos[0].Address);
        await using var staleClient = new Hosting.ClusterClient(
            staleBoard.ViewFor(new global::Hpf.Cluster.Runtime.Membership.SiloAddress("client", 0, 0)),
            new ClusterOptions { ClusterId = "test", ClusterSecret = ClusterSecretOf(fixture) });
        var forwardedBefore = silos[0].Metrics.ForwardedCalls;

        Assert.Equal(4, await staleClient.GrainFactory.GetGrain<ICounterGrain>(key).Add(4));

        Assert.Equal(forwardedBefore + 1, silos[0].Metrics.ForwardedCalls);
        Assert.True(silos[1].HasActivation(new GrainId(typeof(ICounterGrain).FullName!, key)));
        Assert.False(silos[0].HasActivation(new GrainId(typeof(ICounterGrain).FullName!, key)));
    }

    [Fact]
    public async Task Grain_references_travel_as_arguments_and_results_and_keep_their_placement_hint()
    {
        var silos = fixture.Cluster.Silos;
        var caller = Client.GetGrain<ICounterGrain>(fixture.KeyOn<ICounterGrain>(0, "ref-caller"));
        var targetKey = fixture.KeyOn<ICounterGrain>(0, "ref-target");
        // Placement alone would put the target on silo 0; the hint pins it to silo 1.
        var pinned = Client.GetGrain<ICounterGrain>(targetKey, silos[1].Address);

        Assert.Equal(6, await caller.AddThrough(pinned, 6));

        Assert.True(silos[1].HasActivation(pinned is GrainReference r ? r.GrainId : default));
        Assert.False(silos[0].HasActivation(new GrainId(typeof(ICounterGrain).FullName!, targetKey)));
        var myself = await caller.Myself();
        Assert.Equal(((GrainReference)caller).GrainId, ((GrainReference)myself).GrainId);
        Assert.Equal(0, await myself.Get());
    }

    private static string ClusterSecretOf(TwoSiloFixture fixture) =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>(fixture.Cluster.Silos[0].Services).Value.ClusterSecret;
}
