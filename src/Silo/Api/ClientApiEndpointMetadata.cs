namespace Hpf.Cluster.Silo.Api;

/// <summary>Marks the endpoints served on the client port (and only there): the API and its OpenAPI document.</summary>
internal sealed class ClientApiEndpointMetadata
{
    public static ClientApiEndpointMetadata Instance { get; } = new();
}
