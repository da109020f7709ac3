namespace Hpf.Cluster.Grains.Storage.Tests;

public sealed class AzuriteServerTests
{
    [Fact]
    public async Task Without_an_install_the_fixture_fails_saying_how_to_install_it()
    {
        var empty = Directory.CreateTempSubdirectory("hpf-no-azurite-").FullName;
        try
        {
            var server = new AzuriteServer(empty);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(server.InitializeAsync);
            Assert.Equal("Azurite is not installed: run `npm ci --prefix deploy/azurite` in the repository", error.Message);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
