using System.Net;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;

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
        Assert.Contains("403", ex.Message);
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
    public async Task A_request_without_credentials_gets_401()
    {
        var silo = fixture.Cluster.Silos[0].Address;
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await http.PostAsync($"http://{silo.Host}:{silo.Port}/runtime/call", new ByteArrayContent([1, 2, 3]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
