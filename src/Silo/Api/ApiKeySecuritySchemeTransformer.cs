using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hpf.Cluster.Silo.Api;

/// <summary>Describes the API as a whole in the OpenAPI document: its title, and the API key header every operation needs.</summary>
internal sealed class ApiKeySecuritySchemeTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Hpf.Cluster client API";
        document.Info.Description =
            "Jobs, their data, progress and trained models on an Hpf.Cluster silo, and serving from those models (recommendations, cold start, predictions, fold-in, add-user, evaluation). Every /api request carries the cluster's API key in the "
            + ClientApiOptions.ApiKeyHeader + " header: none is 401, a wrong one 403. Errors are problem-details JSON.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ClientApiOptions.ApiKeyHeader,
            Description = "The cluster's API key (the silos' Api:ApiKey setting).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [],
        });
        return Task.CompletedTask;
    }
}
