using Hpf.Cluster.Silo.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using Orleans.Dashboard;

namespace Hpf.Cluster.Silo.Pages;

/// <summary>
/// What a person opens in a browser on every silo's client port: the jobs page at <c>/</c> (static files built into
/// Hpf.Silo.dll; all data come from the <c>/api</c> routes), the Orleans dashboard at <c>/dashboard</c>, and
/// <c>/session</c>, where a browser exchanges a sign-in link's token or the API key for a session cookie. The page
/// and its scripts are public (they hold no data); the dashboard and the API need the key or that cookie.
/// </summary>
public static class OperatorPages
{
    public const string DashboardPath = "/dashboard";

    /// <summary>The resource names' prefix of the page's files (see the project file).</summary>
    private const string ResourcePrefix = "HpfJobsPage";

    /// <summary>Orleans' dashboard services: grain and silo counters for <see cref="DashboardPath"/>.</summary>
    public static ISiloBuilder AddOperatorDashboard(this ISiloBuilder silo) => silo.AddDashboard();

    /// <summary>Maps the jobs page, the session routes and the dashboard; call after <see cref="ClientApiServiceCollectionExtensions.MapClientApi"/>.</summary>
    public static WebApplication MapOperatorPages(this WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(OperatorPages).Assembly, ResourcePrefix);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // The page runs only its own scripts, talks only to its own silo, and is never framed by another site.
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                headers.XContentTypeOptions = "nosniff";
                // A silo upgraded in place serves its new page at once.
                headers.CacheControl = "no-cache";
            },
        });

        app.MapGet("/session", (HttpContext context, BrowserSessions sessions) => TypedResults.Ok(new SessionState(
                context.Request.Cookies.TryGetValue(BrowserSessions.CookieName, out var cookie) && sessions.IsValidCookie(cookie))))
            .WithTags("browser").WithName("GetSession")
            .WithSummary("Whether this browser has a session (no key needed: it says only that)")
            .WithMetadata(ClientApiEndpointMetadata.Instance);
        app.MapPost("/session", SignIn).WithTags("browser").WithName("SignIn")
            .WithSummary("Exchange a sign-in link's token or the API key for a browser session cookie")
            .WithMetadata(ClientApiEndpointMetadata.Instance)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        app.MapDelete("/session", SignOut).WithTags("browser").WithName("SignOut")
            .WithSummary("End this browser's session")
            .WithMetadata(ClientApiEndpointMetadata.Instance);
        app.MapPost("/api/browser-links", NewLink).WithTags("browser").WithName("CreateSignInLink")
            .WithSummary("A one-time token for a sign-in link to the jobs page (/#login=TOKEN), good for 15 minutes; the API key only, not a browser session")
            .WithMetadata(ClientApiEndpointMetadata.Instance)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization();

        // The dashboard has no authentication of its own: it takes the API's.
        app.MapOrleansDashboard(routePrefix: DashboardPath).RequireAuthorization();
        return app;
    }

    private static Results<Ok<SignInLink>, ProblemHttpResult> NewLink(HttpRequest request, BrowserSessions sessions)
    {
        // Authorization let in the key or a browser session; a wrong key never gets here. Only the key may mint links:
        // a session that could would trade them for fresh cookies and never sign in again.
        if (!request.Headers.ContainsKey(ClientApiOptions.ApiKeyHeader))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "API key required",
                detail: $"A sign-in link is made with the cluster's API key in the {ClientApiOptions.ApiKeyHeader} header; a browser session cannot make one.");
        var (token, expires) = sessions.NewLinkToken();
        return TypedResults.Ok(new SignInLink(token, "/#login=" + token, expires));
    }

    private static Results<NoContent, ProblemHttpResult> SignIn(SignInRequest? request, BrowserSessions sessions, ApiKeyValidator keys, HttpContext context)
    {
        var accepted = request switch
        {
            { Token: { Length: > 0 } token } => sessions.RedeemLinkToken(token),
            { ApiKey: { Length: > 0 } key } => keys.Matches(key),
            _ => false,
        };
        if (!accepted)
        {
            var detail = request?.Token is { Length: > 0 }
                ? "The sign-in link has expired or was used already: enter the API key, or get a new link (deploy/local-cluster.sh link)."
                : "Send {\"apiKey\": \"...\"} with the cluster's API key, or {\"token\": \"...\"} from a sign-in link.";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in", detail: detail);
        }
        var (value, expires) = sessions.NewCookieValue();
        context.Response.Cookies.Append(BrowserSessions.CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = expires,
        });
        return TypedResults.NoContent();
    }

    private static NoContent SignOut(HttpContext context)
    {
        context.Response.Cookies.Delete(BrowserSessions.CookieName, new CookieOptions { Path = "/" });
        return TypedResults.NoContent();
    }
}

/// <summary>The body of <c>POST /session</c>: a sign-in link's token, or the API key.</summary>
public sealed record SignInRequest(string? Token, string? ApiKey);

/// <summary>The answer of <c>GET /session</c>.</summary>
public sealed record SessionState(bool SignedIn);

/// <summary>A sign-in link: its token, the path to open on the silo that minted it, and when it expires.</summary>
public sealed record SignInLink(string Token, string Path, DateTimeOffset Expires);
