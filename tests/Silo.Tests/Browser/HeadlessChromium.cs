using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Hpf.Cluster.Silo.Tests.Browser;

/// <summary>
/// Debian's chromium, headless, driven by Debian's chromedriver through Selenium: both found on the PATH's usual
/// place, never downloaded (Selenium Manager is told to stay offline and is not needed: the driver and the browser
/// are named). Without them the tests fail with the command that installs them. Screenshots go to
/// <see cref="ScreenshotDirectory"/> under the test output.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string InstallCommand = "apt-get install -y chromium chromium-driver";
    private const string Browser = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    public HeadlessChromium()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
            throw new InvalidOperationException($"The browser tests need Debian's chromium and its driver ({Browser}, {Driver}); install them with: {InstallCommand}");
        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        // Root in a container has no sandbox to drop into; the pages it opens are ours, on loopback.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1500");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        WebDriver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        ScreenshotDirectory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public ChromeDriver WebDriver { get; }

    public string ScreenshotDirectory { get; }

    /// <summary>Saves what the browser shows as NAME.png and returns its path.</summary>
    public string Screenshot(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        WebDriver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>The console's error lines since the last call (the browser hands each entry out once).</summary>
    public string[] ConsoleErrors() => WebDriver.Manage().Logs.GetLog(LogType.Browser)
        .Where(e => e.Level >= LogLevel.Severe)
        .Select(e => $"{e.Level}: {e.Message}")
        .ToArray();

    /// <summary>Waits up to <paramref name="limit"/> for <paramref name="condition"/> to give a value; fails with <paramref name="what"/>.</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, TimeSpan limit, string what)
    {
        var wait = new WebDriverWait(WebDriver, limit) { PollingInterval = TimeSpan.FromMilliseconds(100), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        // Selenium waits on object results only (null: not yet).
        return (T)wait.Until<object>(d => condition(d)!);
    }

    public void Dispose()
    {
        WebDriver.Quit();
        WebDriver.Dispose();
    }
}
