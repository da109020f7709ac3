using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Tests.Membership;

public sealed class SiloAddressTests
{
    [Theory]
    [InlineData("10.0.0.7", 11111, 638700000000000000L, "10.0.0.7:11111@638700000000000000")]
    [InlineData("::1", 80, 5L, "::1:80@5")]
    [InlineData("silo-a.example", 0, 1L, "silo-a.example:0@1")]
    public void Round_trips_through_its_string_form(string host, int port, long generation, string text)
    {
        var address = new SiloAddress(host, port, generation);
        Assert.Equal(text, address.ToString());
        Assert.Equal(address, SiloAddress.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:12")]
    [InlineData("host@12")]
    [InlineData("host:99999@1")]
    [InlineData("host:x@1")]
    [InlineData(":12@1")]
    public void Refuses_malformed_text(string text) => Assert.False(SiloAddress.TryParse(text, out _));

    [Fact]
    public void A_restart_at_the_same_endpoint_is_a_different_silo()
    {
        var first = new SiloAddress("h", 1, 100);
        var restarted = new SiloAddress("h", 1, 101);
        Assert.NotEqual(first, restarted);
        Assert.True(first.IsSameEndpoint(restarted));
        Assert.True(first.CompareTo(restarted) < 0);
    }

    [Fact]
    public void Sorts_by_host_then_port_then_generation()
    {
        SiloAddress[] silos = [new("b", 1, 1), new("a", 2, 1), new("a", 1, 2), new("a", 1, 1)];
        Assert.Equal(["a:1@1", "a:1@2", "a:2@1", "b:1@1"], silos.Order().Select(s => s.ToString()));
    }
}
