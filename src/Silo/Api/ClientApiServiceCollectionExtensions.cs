using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Hpf.Cluster.Grains.Serving;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hpf.Cluster.Silo.Api;

/// <summary>Registers and maps the silo's client API: its listener, the API key scheme, JSON, problem details and OpenAPI.</summary>
public static class ClientApiServiceCollectionExtensions
{
    public const string OpenApiDocumentName = "v1";

    /// <summary>Adds the API's services and its Kestrel listener on <paramref name="bindAddress"/>:<see cref="ClientApiOptions.Port"/>.</summary>
    public static WebApplicationBuilder AddClientApi(this WebApplicationBuilder builder, ClientApiOptions options, string bindAddress)
    {
        builder.WebHost.ConfigureKestrel(kestrel => ClientApiListener.Listen(kestrel, bindAddress, options));
        var services = builder.Services;
        services.Configure<ClientApiOptions>(o =>
        {
            o.Port = options.Port;
            o.ApiKey = options.ApiKey;
            o.CertificatePath = options.CertificatePath;
            o.CertificatePassword = options.CertificatePassword;
        });
        services.AddSingleton<ApiKeyValidator>();
        services.AddSingleton<BrowserSessions>();
        // The core alone: AddAuthentication would also bring data protection, whose key ring an API key does not need
        // (and which would write keys under the user's profile from the console's embedded silo).
        services.AddAuthenticationCore(o => o.DefaultScheme = ApiKeyAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });
        services.AddAuthorization();
        services.AddProblemDetails();
        services.AddExceptionHandler<ClientApiExceptionHandler>();
        // A failure the handler answered is logged by it, in one line; the middleware's own stack-trace log is for the rest.
        services.Configure<ExceptionHandlerOptions>(o =>
            o.SuppressDiagnosticsCallback = c => c.ExceptionHandledBy == ExceptionHandledType.ExceptionHandlerService);
        services.Configure<JsonOptions>(o =>
        {
            ClientApiJson.Configure(o.SerializerOptions);
            // A misspelt option must not be dropped in silence: the job would train with the default instead.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        // Unreadable JSON reaches the exception handler, which answers with the parser's message.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // One per silo: it keeps each served job's shard references between requests.
        services.AddSingleton(sp => new JobModelQueries(sp.GetRequiredService<IGrainFactory>()));
        services.AddOpenApi(OpenApiDocumentName, o => o.AddDocumentTransformer<ApiKeySecuritySchemeTransformer>());
        return builder;
    }

    /// <summary>Maps <c>/api/…</c> and <c>/openapi/v1.json</c>.</summary>
    public static WebApplication MapClientApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();

        var api = app.MapGroup("/api")
            .RequireAuthorization()
            .WithMetadata(ClientApiEndpointMetadata.Instance)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        api.MapJobEndpoints();
        api.MapServingEndpoints();
        api.MapItemTitleEndpoints();
        api.MapClusterEndpoints();
        // The document itself needs no key: it says how to send one.
        app.MapOpenApi().WithMetadata(ClientApiEndpointMetadata.Instance);
        return app;
    }
}
