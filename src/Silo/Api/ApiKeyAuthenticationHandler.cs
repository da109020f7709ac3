using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// Authenticates a client by the <see cref="ClientApiOptions.ApiKeyHeader"/> header: no key is 401, a wrong key 403,
/// each with a problem-details body that says what to send (never the key). A request without the header may instead
/// carry a browser's session cookie (<see cref="BrowserSessions"/>); one that changes something (any method but GET and
/// HEAD) must then come from the silo's own origin, so that another site the browser shows cannot send it.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyValidator validator,
    BrowserSessions sessions,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    private static readonly ClaimsPrincipal Client = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "api-client")], SchemeName));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey();
        if (presented is null)
        {
            return Task.FromResult(HasBrowserSession()
                ? AuthenticateResult.Success(new AuthenticationTicket(Client, SchemeName))
                : AuthenticateResult.NoResult());
        }
        return Task.FromResult(validator.Matches(presented)
            ? AuthenticateResult.Success(new AuthenticationTicket(Client, SchemeName))
            : AuthenticateResult.Fail("the API key presented is not this cluster's"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (PresentedKey() is not null)
        {
            // A key was sent and it is wrong: a new login would not help, so this is Forbidden rather than a challenge.
            await HandleForbiddenAsync(properties).ConfigureAwait(false);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{ClientApiOptions.ApiKeyHeader}\"";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "API key required",
            $"Send the cluster's API key in the {ClientApiOptions.ApiKeyHeader} header (a browser: sign in on the jobs page at /).").ConfigureAwait(false);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "API key refused",
            $"The key in the {ClientApiOptions.ApiKeyHeader} header is not this cluster's API key.");
    }

    private bool HasBrowserSession()
    {
        if (!Request.Cookies.TryGetValue(BrowserSessions.CookieName, out var cookie) || !sessions.IsValidCookie(cookie)) return false;
        if (HttpMethods.IsGet(Request.Method) || HttpMethods.IsHead(Request.Method)) return true;
        // Browsers send Origin with every POST, PUT and DELETE; a form or script on another origin names that origin.
        var origin = Request.Headers.Origin.ToString();
        return origin.Length > 0 && string.Equals(origin, $"{Request.Scheme}://{Request.Host}", StringComparison.OrdinalIgnoreCase);
    }

    private string? PresentedKey()
    {
        var value = Request.Headers[ClientApiOptions.ApiKeyHeader].ToString();
        return value.Length == 0 ? null : value;
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        var written = await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false);
        if (!written)
        {
            await Response.WriteAsync(detail, Context.RequestAborted).ConfigureAwait(false);
        }
    }
}
