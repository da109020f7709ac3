using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Tests;

public sealed class ProgressTextTests
{
    [Fact]
    public void ARedirectedProgressLineReadsAsDocumented()
    {
        var p = new TrainingProgress(10, 100, -123_400, TimeSpan.FromSeconds(1.23), TimeSpan.FromSeconds(9.4));
        Assert.Equal("iteration 10/100  llk -1.234e+05  elapsed 00:00:01.2  left 00:00:09", ProgressText.Line(p));
    }

    [Fact]
    public void BeforeTheFirstCheckTheLikelihoodIsADash()
    {
        var p = new TrainingProgress(1, 100, null, TimeSpan.FromMinutes(90), null);
        Assert.Equal("iteration 1/100  llk -  elapsed 01:30:00.0  left -", ProgressText.Line(p));
    }

    [Fact]
    public void HoursAreNotWrappedAtADay() =>
        Assert.Equal("30:00:00", ProgressText.Left(TimeSpan.FromHours(30)));

    [Fact]
    public void RangeMessagesLoseTheRuntimeSuffixes()
    {
        var e = new ArgumentOutOfRangeException("k", 0, "option '--k' must be ≥ 1, got 0");
        var failure = CommandException.BadOption(e);
        Assert.Equal("option '--k' must be ≥ 1, got 0", failure.Message);
        Assert.Equal(ExitCodes.BadOption, failure.ExitCode);
    }
}
