using Hpf.Cluster.Grains.Interfaces;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests.Browser;

/// <summary>
/// What a person watching the jobs page sees when a silo dies under a training job: three Hpf.Silo processes on
/// Azurite, the page open in headless chromium on a silo that survives, a silo holding shards killed mid-training.
/// The curve gets a red band where work was thrown away, the rollbacks table says why, and the curve goes on
/// growing from the checkpoint until the job completes. The page is saved as screenshots/rollback-on-curve.png.
/// </summary>
[Collection(TrainingProcessCollection.Name)]
public sealed class RollbackOnCurveBrowserTests(SampledJob job, HeadlessChromium browser, ITestOutputHelper output) : IClassFixture<HeadlessChromium>
{
    /// <summary>The kill comes once a status read shows this many iterations done: a third of the run, between two checkpoints.</summary>
    private const int KillAfter = 105;

    private const string Band = "#train-curve rect.rollback-band";
    private static readonly TimeSpan PageLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_silo_killed_under_a_training_job_shows_on_its_curve_as_a_rollback_band_and_the_curve_goes_on_to_completion()
    {
        // The sampled job's data, run longer and checked more often than the failure tests run it, so the page sees
        // several refreshes (one a second) both before the kill and after the rollback.
        var spec = job.Spec with { Training = job.Training with { MaxIterations = 300, CheckEvery = 5 }, CheckpointEvery = 10 };
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "rollback-on-curve";
        await cluster.SubmitAsync(0, name, spec, job.Tsv);
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        var coordinator = cluster.CoordinatorOf(name);
        var (victim, victimAddress) = await cluster.ShardSiloAsync(name, coordinator);
        var watched = cluster.Running.First(s => s != victim);
        try
        {
            browser.WebDriver.Manage().Cookies.DeleteAllCookies();
            browser.WebDriver.Navigate().GoToUrl(await cluster.SignInLinkAsync(watched, name));
            browser.Until(d => d.FindElement(By.Id("content")).Displayed ? true : (bool?)null, PageLimit, "signed in by the link");
            var before = browser.Until(d => Points(d) is > 1 and var n ? n : (int?)null, PageLimit, "the curve's first points");
            Assert.Empty(browser.WebDriver.FindElements(By.CssSelector(Band)));
            Assert.True(browser.WebDriver.FindElement(By.Id("no-rollbacks")).Displayed, "the page lists a rollback before any silo was lost");

            var killedAfter = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
            Assert.Equal(JobState.Training, killedAfter.State);
            cluster.Kill(victim);

            // The table's row, then the band: one refresh draws the curve with its bands before it fills the table,
            // both from the job's rollback history, so a listed rollback without a band is a page that did not draw it.
            var row = browser.Until(d => d.FindElements(By.CssSelector("#rollbacks tbody tr")).FirstOrDefault()?.Text, PageLimit, "a row in the rollbacks table");
            var bands = Texts(Band);
            Assert.True(bands.Length > 0, $"the rollbacks table lists \"{row}\" but the curve has no band ({Band})");
            var atBand = Points(browser.WebDriver)!.Value;

            // Watched until the job's row says completed: the curve must grow again while it still trains.
            var grewWhileTraining = 0;
            var state = "";
            var deadline = cluster.Clock.Elapsed + JobLimit;
            while (!state.Contains("completed", StringComparison.Ordinal))
            {
                Assert.True(cluster.Clock.Elapsed < deadline, $"the page still showed the job {state} {JobLimit.TotalSeconds} s after the kill\n{cluster.Logs()}");
                Assert.DoesNotContain("failed", state, StringComparison.Ordinal);
                await Task.Delay(100);
                state = browser.Until(d => d.FindElements(By.CssSelector($"#jobs tbody tr[data-job='{name}'] td")).ElementAtOrDefault(1)?.Text, PageLimit, "the job's row");
                if (state.Contains("training", StringComparison.Ordinal) && Points(browser.WebDriver) is { } n && n > atBand) grewWhileTraining = Math.Max(grewWhileTraining, n);
            }
            var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
            Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");
            // Its summary reaches the last iteration on the same refresh as the row; the curve with it.
            browser.Until(d => Points(d) == final.Curve.Length ? true : (bool?)null, PageLimit, $"the completed curve's {final.Curve.Length} points");
            output.WriteLine("screenshot: " + browser.Screenshot("rollback-on-curve"));

            Assert.True(grewWhileTraining > atBand, $"the curve showed {atBand} points when the band appeared and never more while the job trained on");
            Assert.Equal(spec.Training.MaxIterations, final.Curve[^1].Iteration);
            var lastPoint = Texts("#train-curve circle.point")[^1];
            Assert.StartsWith($"iteration {spec.Training.MaxIterations}:", lastPoint);

            // The page draws and lists exactly the job's rollback history, newest row first, with the coordinator's reason.
            var history = final.RollbackHistory;
            Assert.NotEmpty(history);
            var titles = Texts(Band);
            Assert.Equal(history.Select(r => $"back to iteration {r.ToCheckpoint}: {r.Reason}"), titles);
            Assert.Contains(bands[0], titles);
            // Every cell but the time, which the browser writes in its own locale.
            var rows = Texts("#rollbacks tbody tr").Select(r => r.Split('\t')[1..]).ToArray();
            Assert.Equal(Enumerable.Reverse(history).Select(r => new[] { r.FromIteration?.ToString() ?? "", r.ToCheckpoint.ToString(), r.SiloLost ? "yes" : "no", r.Reason }), rows);
            // What the coordinator recorded depends on what it met first: the silo declared dead, or a call finding the
            // silo gone before that (both a silo loss, in plain words); or, when the coordinator's directory entry was
            // on the dead silo, a new activation taking the job up from the checkpoint.
            Assert.True(history.Any(r => (r.SiloLost && (r.Reason == "a silo was declared dead" || r.Reason.StartsWith("a call found its silo gone", StringComparison.Ordinal)))
                    || r.Reason.StartsWith("resumed by a new coordinator", StringComparison.Ordinal)),
                $"no rollback for the loss of {victimAddress}: " + string.Join("; ", history.Select(r => r.Reason)));
            Assert.All(history, r => Assert.True(r.ToCheckpoint >= killedAfter.LastCheckpoint, $"went back to {r.ToCheckpoint}, behind the checkpoint of {killedAfter.LastCheckpoint}"));
            Assert.False(browser.WebDriver.FindElement(By.Id("no-rollbacks")).Displayed);

            output.WriteLine($"killed silo {victim} (shards) after iteration {killedAfter.Iteration}, page on silo {watched}; curve points {before} before, " +
                $"{atBand} when the band appeared, {grewWhileTraining} while training on, {final.Curve.Length} at completion");
            output.WriteLine("first row: " + row);
            foreach (var error in browser.ConsoleErrors()) output.WriteLine("console (a request the dying silo failed): " + error);
        }
        finally
        {
            // Away from the page first: it would go on polling a silo that is gone, into the next test's console log.
            browser.WebDriver.Navigate().GoToUrl("about:blank");
            browser.ConsoleErrors();
        }
    }

    /// <summary>
    /// The text of every element <paramref name="selector"/> finds (a table row's cells joined by tabs), read in one
    /// script so that the page's refresh, which redraws them every second, cannot replace them between two reads.
    /// </summary>
    private string[] Texts(string selector) =>
        ((IEnumerable<object>)browser.WebDriver.ExecuteScript(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.cells ? Array.from(e.cells).map(c => c.textContent).join('\\t') : e.textContent);", selector)!)
        .Cast<string>().ToArray();

    private static int? Points(IWebDriver d) => d.FindElement(By.Id("train-curve")).GetAttribute("data-points") is { } n ? int.Parse(n) : null;
}
