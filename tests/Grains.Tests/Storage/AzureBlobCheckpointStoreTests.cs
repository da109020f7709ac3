using System.Reflection;
using Azure.Storage.Blobs;
using Orleans;
using Xunit.Abstractions;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>The contract on the blob store against Azurite; each test gets a container of its own, created by its first write.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobCheckpointStoreTests(AzuriteServer azurite, ITestOutputHelper output) : StreamingCheckpointStoreContract(output)
{
    private readonly string _container = "ckpt-" + Guid.NewGuid().ToString("N");

    protected override ICheckpointStore CreateStore() =>
        new AzureBlobCheckpointStore(new AzureBlobCheckpointStoreOptions { ConnectionString = azurite.ConnectionString, ContainerName = _container });

    [Fact]
    public async Task State_is_one_block_blob_named_type_slash_id_in_the_container_it_creates()
    {
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(_container);
        Assert.False(await container.ExistsAsync());

        var etag = await CreateStore().WriteAsync(GrainType, "job-1/shard-2", (s, ct) => StatePattern.WriteAsync(s, 1000, 1, ct), null, default);

        var blobs = new List<string>();
        await foreach (var blob in container.GetBlobsAsync()) blobs.Add(blob.Name);
        Assert.Equal([$"{GrainType}/job-1/shard-2"], blobs);
        Assert.Equal(etag, (await container.GetBlobClient($"{GrainType}/job-1/shard-2").GetPropertiesAsync()).Value.ETag.ToString());
    }

    [Fact]
    public void The_connection_string_is_marked_redacted_and_left_out_of_ToString()
    {
        var options = new AzureBlobCheckpointStoreOptions { ConnectionString = azurite.ConnectionString };

        Assert.Equal("hpf-checkpoints", options.ContainerName);
        Assert.DoesNotContain("AccountKey", options.ToString());
        Assert.DoesNotContain("devstoreaccount1", options.ToString());
        Assert.Contains("hpf-checkpoints", options.ToString());
        var redact = typeof(AzureBlobCheckpointStoreOptions).GetProperty(nameof(options.ConnectionString))!.GetCustomAttribute<RedactAttribute>();
        Assert.NotNull(redact);
        Assert.DoesNotContain("AccountKey", redact.Redact(options.ConnectionString));
    }
}
