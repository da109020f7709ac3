using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;
using Hpf.Cluster.Runtime.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Tests.Calls;

/// <summary>Large arrays on the streamed path: read from the request into their arrays, written from the grain's arrays.</summary>
public sealed class LargeTransferTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    private const int Floats = 4 * 1024 * 1024;

    private IGrainFactory Client => fixture.Cluster.Client;

    private static float[] Values(int count) => Enumerable.Range(0, count).Select(i => (i % 1000) * 0.25f - 3f).ToArray();

    private static double Sum(float[] values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value;
        }
        return sum;
    }

    [Fact]
    public async Task A_16_MB_argument_and_a_16_MB_result_cross_silos_intact()
    {
        var grain = Client.GetGrain<ITransferGrain>(fixture.KeyOn<ITransferGrain>(1, "large"));
        var values = Values(Floats);

        Assert.Equal(Sum(values), await grain.Receive(values, CancellationToken.None));

        var made = await grain.Make(Floats, 1f);
        Assert.Equal(Floats, made.Length);
        Assert.Equal(1f, made[0]);
        Assert.Equal(Floats, made[^1]);
    }

    [Fact]
    public async Task A_silo_reads_a_large_result_from_another_silo_and_returns_it_to_the_client()
    {
        var callee = fixture.KeyOn<ITransferGrain>(1, "made-on-1");
        var caller = Client.GetGrain<ITransferGrain>(fixture.KeyOn<ITransferGrain>(0, "asks-1"));

        var made = await caller.MakeThrough(callee, 3_000_001);

        Assert.Equal(3_000_001, made.Length);
        Assert.Equal(0.5f, made[0]);
        Assert.Equal(3_000_000.5f, made[^1]);
    }

    [Fact]
    public async Task Records_and_lists_mixing_small_and_large_arrays_cross_silos_intact()
    {
        var grain = Client.GetGrain<ITransferGrain>(fixture.KeyOn<ITransferGrain>(1, "mixed"));
        var large = Values(100_000);
        var doubles = Enumerable.Range(0, 50_000).Select(i => i / 3.0).ToArray();
        var batch = new Batch("mixed", [4, 5], large, doubles, [new Pair(1, 2)], BatchKind.Items, null);

        var back = await grain.EchoBatch(batch);

        Assert.Equal("mixed", back.Name);
        Assert.Equal([4, 5], back.Indices);
        Assert.Equal(large, back.Values);
        Assert.Equal(doubles, back.Weights);
        Assert.Equal([new Pair(1, 2)], back.Pairs);
        Assert.Null(back.Iteration);
        List<double[]> list = [doubles, [1.0], [], doubles];
        Assert.Equal(list, await grain.EchoList(list));
    }

    [Fact]
    public async Task A_forwarded_call_carries_its_large_argument_to_the_owner()
    {
        var silos = fixture.Cluster.Silos;
        var key = fixture.KeyOn<ITransferGrain>(1, "forward-large");
        var staleBoard = new TestMembershipBoard();
        staleBoard.Add(silos[0].Address);
        await using var staleClient = new Hosting.ClusterClient(
            staleBoard.ViewFor(new SiloAddress("client", 0, 0)),
            new ClusterOptions { ClusterId = "test", ClusterSecret = SecretOf(fixture.Cluster) });
        var forwardedBefore = silos[0].Metrics.ForwardedCalls;
        var values = Values(1_000_000);

        Assert.Equal(Sum(values), await staleClient.GrainFactory.GetGrain<ITransferGrain>(key).Receive(values, CancellationToken.None));

        Assert.Equal(forwardedBefore + 1, silos[0].Metrics.ForwardedCalls);
    }

    [Fact]
    public async Task A_body_that_carries_fewer_array_bytes_than_its_head_names_fails_typed_and_never_reaches_the_grain()
    {
        var key = fixture.KeyOn<ITransferGrain>(1, "truncated");
        var (grainId, method) = Method(key, nameof(ITransferGrain.Receive));
        using var writer = new WireWriter();
        CallMessageCodec.WriteRequest(writer, grainId, null, method, [Values(100_000)], 0);
        var cut = writer.WrittenMemory[..^1000].ToArray();

        await using var link = await RawSiloLink.ConnectAsync(fixture.Cluster.Silos[1].Address, "test", SecretOf(fixture.Cluster));

        await link.SendCallAsync(7, cut);

        var (kind, callId, response) = await link.ReadFrameAsync();
        Assert.Equal((LinkFrameKind.Result, 7L), (kind, callId));
        var ex = Assert.Throws<GrainCallException>(() => CallMessageCodec.ReadResponse(new WireReader(response), grainId, method));
        Assert.Equal(typeof(WireFormatException).FullName, ex.RemoteExceptionType);
        Assert.Equal(0, await Client.GetGrain<ITransferGrain>(key).ReceivedCalls());
    }

    [Fact]
    public async Task A_large_message_aborted_half_way_leaves_the_grain_uncalled_and_the_link_serving()
    {
        var key = fixture.KeyOn<ITransferGrain>(1, "cancel-mid-body");
        var (grainId, method) = Method(key, nameof(ITransferGrain.Receive));
        using var large = new WireWriter();
        CallMessageCodec.WriteRequest(large, grainId, null, method, [Values(Floats * 2)], 0);
        var message = large.WrittenMemory.ToArray();
        using var small = new WireWriter();
        CallMessageCodec.WriteRequest(small, grainId, null, method, [new float[] { 1, 2, 3 }], 0);
        await using var link = await RawSiloLink.ConnectAsync(fixture.Cluster.Silos[1].Address, "test", SecretOf(fixture.Cluster));

        // What the transport does when a caller cancels while sending: half the bytes, then the abort marker.
        await link.SendCallAsync(1, message, send: message.Length / 2, abort: true);
        await link.SendCallAsync(2, small.WrittenMemory.ToArray());

        // The next frame on the same link is served; the aborted one is never answered.
        var (kind, callId, response) = await link.ReadFrameAsync();
        Assert.Equal((LinkFrameKind.Result, 2L), (kind, callId));
        Assert.Equal(6.0, CallMessageCodec.ReadResponse(new WireReader(response), grainId, method));
        Assert.Equal(1, await Client.GetGrain<ITransferGrain>(key).ReceivedCalls());
    }

    [Fact]
    public async Task Cancelling_a_large_grain_call_in_flight_cancels_it_before_the_grain_runs()
    {
        var grain = Client.GetGrain<ITransferGrain>(fixture.KeyOn<ITransferGrain>(1, "cancel-large"));
        // 120 MB: well over 20 ms on any machine, however fast its loopback.
        var values = new float[30_000_000];
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grain.Receive(values, cts.Token));
        Assert.Equal(0, await grain.ReceivedCalls());
    }

    [Fact]
    public async Task Messages_over_the_size_limit_fail_as_typed_grain_call_failures_both_ways()
    {
        await using var cluster = await TestCluster.StartAsync(2, new TestClusterOptions
        {
            ConfigureServices = (services, _) => services.Configure<ClusterOptions>(o => o.MaxMessageBytes = 1 << 20),
        });
        var onSilo1 = KeyOn(cluster, 1, "limit");
        var grain = cluster.Client.GetGrain<ITransferGrain>(onSilo1);

        // The request is over the receiving silo's limit: refused before the grain sees it.
        var request = await Assert.ThrowsAsync<GrainCallException>(() => grain.Receive(new float[512 * 1024], CancellationToken.None));
        Assert.Equal(typeof(InvalidDataException).FullName, request.RemoteExceptionType);
        Assert.Contains("limit", request.RemoteMessage);
        Assert.Equal(0, await grain.ReceivedCalls());

        // A response over the limit of the silo that reads it (silo 0, calling silo 1 from inside a grain).
        var caller = cluster.Client.GetGrain<ITransferGrain>(KeyOn(cluster, 0, "limit-caller"));
        var response = await Assert.ThrowsAsync<GrainCallException>(() => caller.MakeThrough(onSilo1, 512 * 1024));
        Assert.Equal(typeof(IOException).FullName, response.RemoteExceptionType);
        Assert.Contains("limit", response.RemoteMessage);

        // Under the limit everything still works.
        Assert.Equal(1000, (await caller.MakeThrough(onSilo1, 1000)).Length);
    }

    [Fact]
    public async Task A_caller_going_away_mid_body_is_neither_a_warning_nor_an_application_error()
    {
        var logs = new CapturingLoggerProvider();
        await using var cluster = await TestCluster.StartAsync(1, new TestClusterOptions { LoggerProvider = logs });
        var (grainId, method) = Method("gone", nameof(ITransferGrain.Receive));
        using var writer = new WireWriter();
        CallMessageCodec.WriteRequest(writer, grainId, null, method, [Values(Floats * 2)], 0);
        var message = writer.WrittenMemory.ToArray();

        // Several times: the silo may be reading the array or waiting for more when the connection goes.
        for (var i = 0; i < 5; i++)
        {
            await using var link = await RawSiloLink.ConnectAsync(cluster.Silos[0].Address, "test", SecretOf(cluster));
            await link.SendCallAsync(1, message, send: message.Length / 2);
        }
        Assert.Equal(0, await cluster.Client.GetGrain<ITransferGrain>("gone").ReceivedCalls());

        Assert.DoesNotContain(logs.Messages, m => m.StartsWith("Warning", StringComparison.Ordinal) || m.StartsWith("Error", StringComparison.Ordinal) || m.StartsWith("Critical", StringComparison.Ordinal));
    }

    private static (GrainId GrainId, GrainMethodDescriptor Method) Method(string key, string name)
    {
        var grainType = typeof(ITransferGrain).FullName!;
        Assert.True(GrainInterfaceRegistry.TryGetInterface(grainType, out var descriptor));
        return (new GrainId(grainType, key), descriptor.Methods.Single(m => m.Name == name));
    }

    private static string SecretOf(TestCluster cluster) =>
        cluster.Silos[0].Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterSecret;

    private static string KeyOn(TestCluster cluster, int silo, string prefix)
    {
        var grainType = typeof(ITransferGrain).FullName!;
        for (var i = 0; ; i++)
        {
            if (global::Hpf.Cluster.Runtime.Placement.RendezvousPlacement.PickOwner(new GrainId(grainType, prefix + i), cluster.Membership.Snapshot.ActiveSilos) == cluster.Silos[silo].Address)
            {
                return prefix + i;
            }
        }
    }

}
