using System.Net;
using System.Net.Http.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;
using Hpf.Cluster.Silo.Pages;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests.Browser;

/// <summary>
/// The jobs page in a real browser against a silo hosted in the test process: signed in by a sign-in link as
/// deploy/local-cluster.sh prints one, it loads without console errors, a training job's curve gains points while it
/// trains, the explorer lists a user's recommendations as the API ranks them, and the dashboard opens with the same
/// session. Each state is saved as a screenshot under the test output's screenshots/ directory.
/// </summary>
public sealed class JobsPageBrowserTests : IClassFixture<HeadlessChromium>, IAsyncLifetime
{
    private static readonly TimeSpan PageLimit = TimeSpan.FromSeconds(30);
    private readonly HeadlessChromium _browser;
    private readonly ITestOutputHelper _output;
    private ApiSilo _silo = null!;

    public JobsPageBrowserTests(HeadlessChromium browser, ITestOutputHelper output)
    {
        _browser = browser;
        _output = output;
    }

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync();

    public async Task DisposeAsync()
    {
        // Away from the page first: it would go on polling a silo that is gone, into the next test's console log.
        _browser.WebDriver.Navigate().GoToUrl("about:blank");
        _browser.ConsoleErrors();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task A_sign_in_link_opens_the_page_without_console_errors_and_then_the_dashboard()
    {
        await TrainAsync("finished", Small, wait: true);
        await SignInAsync("finished");
        var row = _browser.Until(d => d.FindElements(By.CssSelector("#jobs tbody tr")).FirstOrDefault(r => r.Text.Contains("completed")), PageLimit, "the job's row");
        Assert.Contains("finished", row.Text);
        _browser.Until(d => d.FindElement(By.Id("train-curve")).GetAttribute("data-points") is { } n && int.Parse(n) > 0 ? n : null, PageLimit, "the curve");
        // The one-time token is gone from the address bar, and the page named no error in the console.
        Assert.DoesNotContain("login=", _browser.WebDriver.Url);
        Assert.Empty(_browser.ConsoleErrors());
        _output.WriteLine("screenshot: " + _browser.Screenshot("jobs-page-signed-in"));

        // The same session opens the dashboard, which has no sign-in of its own.
        _browser.WebDriver.Navigate().GoToUrl(new Uri(_silo.ApiAddress, OperatorPages.DashboardPath + "/").ToString());
        _browser.Until(d => d.Title.Contains("Orleans", StringComparison.Ordinal) && d.FindElements(By.CssSelector("body *")).Count > 20 ? d.Title : null, PageLimit, "the dashboard");
        Assert.DoesNotContain("API key required", _browser.WebDriver.PageSource);
        _output.WriteLine("screenshot: " + _browser.Screenshot("dashboard"));
    }

    [Fact]
    public async Task A_used_sign_in_link_is_refused_and_the_API_key_signs_in_instead()
    {
        var link = await LinkAsync();
        _browser.WebDriver.Manage().Cookies.DeleteAllCookies();
        _browser.WebDriver.Navigate().GoToUrl(link);
        _browser.Until(d => d.FindElement(By.Id("content")).Displayed ? true : (bool?)null, PageLimit, "signed in by the link");
        _browser.WebDriver.Manage().Cookies.DeleteAllCookies();
        _browser.WebDriver.Navigate().GoToUrl("about:blank");
        _browser.WebDriver.Navigate().GoToUrl(link);
        var message = _browser.Until(d => d.FindElement(By.Id("sign-in")).Displayed ? d.FindElement(By.Id("sign-in-message")).Text : null, PageLimit, "the sign-in form");
        Assert.Contains("expired or was used already", message);
        _output.WriteLine("screenshot: " + _browser.Screenshot("sign-in-link-used"));
        _browser.ConsoleErrors();   // the refused token's 401 is expected here

        _browser.WebDriver.FindElement(By.Id("api-key")).SendKeys(_silo.ApiKey);
        _browser.WebDriver.FindElement(By.CssSelector("#sign-in-form button")).Click();
        _browser.Until(d => d.FindElement(By.Id("content")).Displayed ? true : (bool?)null, PageLimit, "signed in by the key");
        Assert.Empty(_browser.ConsoleErrors());
    }

    [Fact]
    public async Task A_training_jobs_curve_gains_points_while_it_trains()
    {
        // Long enough to watch (checked every iteration, far more iterations than the test waits for); cancelled at the end.
        var spec = new JobSpec
        {
            Training = new TrainingOptions { Factors = 10, MaxIterations = 5000, CheckEvery = 1, Stop = StopRule.MaxIter, Seed = 5, Threads = 1 },
            UserShards = 2, ItemShards = 2, CheckpointEvery = 20,
        };
        await TrainAsync("watched", (Large, spec), wait: false);
        await SignInAsync("watched");
        var first = _browser.Until(d => Points(d) is > 1 and var n ? n : (int?)null, PageLimit, "the first points of the curve");
        var later = _browser.Until(d => Points(d) is var n && n > first + 2 ? n : (int?)null, PageLimit, "more points while it trains");
        var state = _browser.WebDriver.FindElement(By.CssSelector("#jobs tbody tr")).Text;
        Assert.Contains("training", state);
        Assert.Empty(_browser.ConsoleErrors());
        _output.WriteLine($"curve points {first} then {later}; screenshot: " + _browser.Screenshot("training-curve"));
        using var cancel = await _silo.Client.PostAsync("api/jobs/watched/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        static int? Points(IWebDriver d) => d.FindElement(By.Id("train-curve")).GetAttribute("data-points") is { } n ? int.Parse(n) : null;
    }

    [Fact]
    public async Task The_explorer_lists_a_users_top_items_as_the_API_ranks_them_with_the_jobs_titles()
    {
        await TrainAsync("explored", Small, wait: true);
        // Titles for all items but the first: a title where the job has one, an empty cell where not.
        var titles = Small.Data.ItemIds.Skip(1).Select(i => $"{i}|The film {i} (1999)|").ToArray();
        using var titled = await _silo.Client.PutAsync("api/jobs/explored/titles", new StringContent(string.Join('\n', titles)));
        Assert.Equal(HttpStatusCode.OK, titled.StatusCode);
        var user = Small.Data.UserIds[3];
        using var asked = await _silo.Client.PostAsJsonAsync("api/jobs/explored/recommendations", new RecommendRequest { User = user, N = 5 }, ClientApiJson.Options);
        var expected = (await asked.Content.ReadFromJsonAsync<RecommendationList>(ClientApiJson.Options))!.Items.Select(i => i.Item).ToArray();
        Assert.Equal(5, expected.Length);

        await SignInAsync("explored");
        _browser.Until(d => d.FindElement(By.Id("job")).Displayed ? true : (bool?)null, PageLimit, "the job's section");
        var field = _browser.WebDriver.FindElement(By.Id("explorer-user"));
        field.SendKeys(user);
        var count = _browser.WebDriver.FindElement(By.Id("explorer-n"));
        count.Clear();
        count.SendKeys("5");
        _browser.WebDriver.FindElement(By.CssSelector("#explorer button")).Click();
        var rows = _browser.Until(d => d.FindElements(By.CssSelector("#recommendations tbody tr")) is { Count: 5 } found
            ? found.Select(r => r.FindElements(By.TagName("td")).Select(c => c.Text).ToArray()).ToArray() : null, PageLimit, "the recommendations");
        Assert.Equal(expected, rows.Select(r => r[1]));
        Assert.Equal(expected.Select(i => i == Small.Data.ItemIds[0] ? "" : $"The film {i} (1999)"), rows.Select(r => r[2]));
        Assert.Contains($"{Small.Data.Items - 1} item titles", _browser.WebDriver.FindElement(By.Id("titles-note")).Text);
        Assert.Contains(user, _browser.WebDriver.FindElement(By.Id("explorer-message")).Text);
        Assert.Empty(_browser.ConsoleErrors());
        _output.WriteLine("screenshot: " + _browser.Screenshot("explorer"));
    }

    private static readonly (Dataset Data, JobSpec Spec) Small = (
        SyntheticDataset.Generate(new SyntheticOptions { Users = 80, Items = 60, Factors = 3, Seed = 21 }).Data,
        new JobSpec { Training = new TrainingOptions { Factors = 3, MaxIterations = 12, CheckEvery = 2, Stop = StopRule.MaxIter, Seed = 2, Threads = 1 }, UserShards = 2, ItemShards = 1 });

    private static readonly Dataset Large = SyntheticDataset.Generate(new SyntheticOptions { Users = 3000, Items = 800, Factors = 10, Seed = 8, TargetNonzeros = 100_000 }).Data;

    /// <summary>A fresh sign-in link as deploy/local-cluster.sh gets one, with the job to show.</summary>
    private async Task<string> LinkAsync(string? job = null)
    {
        using var response = await _silo.Client.PostAsync("api/browser-links", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var link = (await response.Content.ReadFromJsonAsync<SignInLink>(ClientApiJson.Options))!;
        return new Uri(_silo.ApiAddress, link.Path).ToString() + (job is null ? "" : "&job=" + job);
    }

    private async Task SignInAsync(string job)
    {
        _browser.WebDriver.Manage().Cookies.DeleteAllCookies();
        _browser.WebDriver.Navigate().GoToUrl(await LinkAsync(job));
        _browser.Until(d => d.FindElement(By.Id("content")).Displayed ? true : (bool?)null, PageLimit, "signed in by the link");
    }

    private async Task TrainAsync(string name, (Dataset Data, JobSpec Spec) job, bool wait)
    {
        using var created = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = name, Spec = job.Spec }, ClientApiJson.Options);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var text = new StringWriter();
        job.Data.WriteTsv(text);
        using var upload = await _silo.Client.PutAsync($"api/jobs/{name}/data?set=training&format=tsv", new StringContent(text.ToString()));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        using var start = await _silo.Client.PostAsync($"api/jobs/{name}/start", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = (await _silo.Client.GetFromJsonAsync<JobStatus>($"api/jobs/{name}", ClientApiJson.Options))!;
            if (wait ? status.IsFinished : status.State == JobState.Training) break;
            Assert.True(DateTime.UtcNow < deadline, $"job '{name}' still {status.State}");
            await Task.Delay(50);
        }
    }
}
