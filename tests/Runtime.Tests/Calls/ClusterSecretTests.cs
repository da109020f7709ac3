using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Serialization;
using Hpf.Cluster.Runtime.Tests.Grains;
using Hpf.Cluster.Runtime.Transport;

namespace Hpf.Cluster.Runtime.Tests.Calls;

public sealed class ClusterSecretTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    [Fact]
    public async Task A_peer_with_the_wrong_secret_is_refused_and_the_grain_never_runs()
    {
        await using var intruder = new ClusterClient(
            fixture.Cluster.Membership.ViewFor(new SiloAddress("intruder", 0, 0)),
            new ClusterOptions { ClusterId = "test", ClusterSecret = "not-the-secret", CallTimeout = TimeSpan.FromSeconds(5) });
        var key = fixture.KeyOn<ICounterGrain>(1, "guarded");

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => intruder.GrainFactory.GetGrain<ICounterGrain>(key).Add(1));

        Assert.Equal(typeof(UnauthorizedAccessException).FullName, ex.RemoteExceptionType);
        Assert.Contains(nameof(CredentialCheck.Refused), ex.Message);
        Assert.False(fixture.Cluster.Silos[1].HasActivation(new GrainId(typeof(ICounterGrain).FullName!, key)));
    }

    [Fact]
    public async Task A_peer_of_another_cluster_is_refused_even_with_the_right_secret()
    {
        var secret = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>(fixture.Cluster.Silos[0].Services).Value.ClusterSecret;
        await using var stranger = new ClusterClient(
            fixture.Cluster.Membership.ViewFor(new SiloAddress("stranger", 0, 0)),
            new ClusterOptions { ClusterId = "other-cluster", ClusterSecret = secret, CallTimeout = TimeSpan.FromSeconds(5) });

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => stranger.GrainFactory.GetGrain<ICounterGrain>("x").Get());

        Assert.Equal(typeof(UnauthorizedAccessException).FullName, ex.RemoteExceptionType);
    }

    [Fact]
    public async Task A_connection_without_credentials_is_refused_and_its_call_never_runs()
    {
        var key = fixture.KeyOn<ICounterGrain>(0, "unauthenticated");
        var grainType = typeof(ICounterGrain).FullName!;
        Assert.True(GrainInterfaceRegistry.TryGetInterface(grainType, out var descriptor));
        using var writer = new WireWriter();
        CallMessageCodec.WriteRequest(writer, new GrainId(grainType, key), null, descriptor.Methods.Single(m => m.Name == nameof(ICounterGrain.Add)), [1], 0);
        await using var link = await RawSiloLink.ConnectAsync(fixture.Cluster.Silos[0].Address);

        // A call where the Hello belongs: the silo answers Refused (credentials missing) and closes the link.
        await link.SendCallAsync(1, writer.WrittenMemory.ToArray());

        var (kind, _, payload) = await link.ReadFrameAsync();
        Assert.Equal(LinkFrameKind.Refused, kind);
        Assert.Equal([(byte)CredentialCheck.Missing], payload);
        Assert.True(await link.ClosedBySiloAsync());
        Assert.False(fixture.Cluster.Silos[0].HasActivation(new GrainId(grainType, key)));
    }

    [Fact]
    public async Task A_hello_with_the_wrong_secret_is_refused()
    {
        await using var link = await RawSiloLink.ConnectAsync(fixture.Cluster.Silos[0].Address);

        await link.SendHelloAsync("test", "not-the-secret");

        var (kind, _, payload) = await link.ReadFrameAsync();
        Assert.Equal(LinkFrameKind.Refused, kind);
        Assert.Equal([(byte)CredentialCheck.Refused], payload);
        Assert.True(await link.ClosedBySiloAsync());
    }
}
