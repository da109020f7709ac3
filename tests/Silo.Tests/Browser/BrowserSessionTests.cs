using System.Net;
using System.Net.Http.Json;
using Hpf.Cluster.Silo.Api;
using Hpf.Cluster.Silo.Pages;

namespace Hpf.Cluster.Silo.Tests.Browser;

/// <summary>
/// What stands between a browser and the cluster, over plain HTTP: the page itself is public and holds no data; the
/// dashboard and the API need the key or a session cookie; a sign-in link's token buys a cookie once; the cookie
/// does not let another site's page change anything.
/// </summary>
public sealed class BrowserSessionTests : IAsyncLifetime
{
    private ApiSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task The_page_is_served_with_its_scripts_under_a_strict_content_policy_and_the_dashboard_needs_the_key()
    {
        using var page = await _silo.Anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("jobs.js", await page.Content.ReadAsStringAsync());
        foreach (var script in new[] { "/jobs.js", "/chart.js", "/jobs.css" })
        {
            using var file = await _silo.Anonymous.GetAsync(script);
            Assert.True(file.StatusCode == HttpStatusCode.OK, script);
        }

        using var anonymous = await _silo.Anonymous.GetAsync(OperatorPages.DashboardPath + "/");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var counters = await _silo.Anonymous.GetAsync(OperatorPages.DashboardPath + "/DashboardCounters");
        Assert.Equal(HttpStatusCode.Unauthorized, counters.StatusCode);
        using var keyed = await _silo.Client.GetAsync(OperatorPages.DashboardPath + "/");
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
        Assert.Contains("Orleans Dashboard", await keyed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_sign_in_token_buys_a_strict_http_only_cookie_once_and_only_from_a_key_holder()
    {
        using var refused = await _silo.Anonymous.PostAsync("api/browser-links", null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var link = await LinkAsync();
        Assert.Equal("/#login=" + link.Token, link.Path);

        using var browser = Browser(out var cookies);
        using var first = await browser.PostAsJsonAsync("/session", new SignInRequest(link.Token, null));
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        var setCookie = first.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(_silo.ApiKey, setCookie);
        Assert.True((await browser.GetFromJsonAsync<SessionState>("/session", ClientApiJson.Options))!.SignedIn);
        using var jobs = await browser.GetAsync("api/jobs");
        Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
        using var dashboard = await browser.GetAsync(OperatorPages.DashboardPath + "/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);

        using var again = await _silo.Anonymous.PostAsJsonAsync("/session", new SignInRequest(link.Token, null));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        using var forged = await _silo.Anonymous.PostAsJsonAsync("/session", new SignInRequest(link.Token[..^2] + "AA", null));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        using var wrongKey = await _silo.Anonymous.PostAsJsonAsync("/session", new SignInRequest(null, "not-the-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        using var rightKey = await _silo.Anonymous.PostAsJsonAsync("/session", new SignInRequest(null, _silo.ApiKey));
        Assert.Equal(HttpStatusCode.NoContent, rightKey.StatusCode);

        // A cookie that was not signed with this cluster's key is no session.
        cookies.Add(_silo.ApiAddress, new Cookie(BrowserSessions.CookieName, link.Token));
        Assert.False((await browser.GetFromJsonAsync<SessionState>("/session", ClientApiJson.Options))!.SignedIn);
    }

    [Fact]
    public async Task A_session_cookie_changes_something_only_from_the_silos_own_origin()
    {
        using var browser = Browser(out _);
        using var signIn = await browser.PostAsJsonAsync("/session", new SignInRequest((await LinkAsync()).Token, null));
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        var body = new CreateJobRequest { Name = "from-a-page" };

        using var noOrigin = await browser.PostAsJsonAsync("api/jobs", body, ClientApiJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, noOrigin.StatusCode);
        using var otherSite = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = JsonContent.Create(body, options: ClientApiJson.Options) };
        otherSite.Headers.Add("Origin", $"http://127.0.0.1:{_silo.ApiAddress.Port + 1}");
        using var refused = await browser.SendAsync(otherSite);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var ownPage = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = JsonContent.Create(body, options: ClientApiJson.Options) };
        ownPage.Headers.Add("Origin", _silo.ApiAddress.GetLeftPart(UriPartial.Authority));
        using var accepted = await browser.SendAsync(ownPage);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        // A session cannot mint sign-in links: it would trade them for fresh cookies and never have to sign in again.
        using var renew = new HttpRequestMessage(HttpMethod.Post, "api/browser-links");
        renew.Headers.Add("Origin", _silo.ApiAddress.GetLeftPart(UriPartial.Authority));
        using var renewed = await browser.SendAsync(renew);
        Assert.Equal(HttpStatusCode.Forbidden, renewed.StatusCode);
        Assert.Contains("API key", await renewed.Content.ReadAsStringAsync());
    }

    private async Task<SignInLink> LinkAsync()
    {
        using var response = await _silo.Client.PostAsync("api/browser-links", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SignInLink>(ClientApiJson.Options))!;
    }

    /// <summary>A client that keeps cookies as a browser does, and sends no key.</summary>
    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = _silo.ApiAddress };
    }
}
