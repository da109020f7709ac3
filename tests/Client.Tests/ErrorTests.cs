namespace Hpf.Cluster.Client.Tests;

/// <summary>What a user sees when something is wrong: a message that says what and where, a distinct exit code, nothing saved.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class ErrorTests(TrainedJob job) : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task BadDataLinesAreListedAsFileLineReasonAndNothingIsSaved()
    {
        var file = _scratch.Write("bad.tsv", "u1\ti1\t3\nu2\ti2\tmany\nu3\n");
        var run = await Train(file);
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}:2: ", run.Error);
        Assert.Contains($"{file}:3: ", run.Error);
        Assert.False(Directory.Exists(Path.Combine(_scratch.DataDirectory, "jobs", "bad")));
    }

    [Fact]
    public async Task AMissingDataFileIsADataError()
    {
        var run = await Train(_scratch.File("absent.tsv"));
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains("absent.tsv", run.Error);
    }

    [Theory]
    [InlineData("--k", "0", "option '--k' must be ≥ 1, got 0")]
    [InlineData("--max-iter", "0", "option '--max-iter' must be ≥ 1, got 0")]
    [InlineData("--step-kappa", "0.4", "option '--step-kappa' must lie in (0.5, 1]")]
    [InlineData("--a", "-1", "option '--a' must be a finite number > 0, got -1")]
    [InlineData("--users-per-batch", "0", "option '--users-per-batch' must be ≥ 1, got 0")]
    [InlineData("--user-batch-fraction", "0", "option '--user-batch-fraction' must lie in (0, 1]: the share of the users in one mini-batch, got 0")]
    [InlineData("--item-batch-fraction", "1.5", "option '--item-batch-fraction' must lie in (0, 1]: the share of the items in one mini-batch, got 1.5")]
    public async Task OutOfRangeOptionsAreNamedAndExitWithTwo(string option, string value, string message)
    {
        var run = await Train(job.TrainFile, option, value);
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.StartsWith(message, run.Error);
        Assert.DoesNotContain("Parameter", run.Error);
    }

    [Fact]
    public async Task AnUnwritableDataDirectoryIsAnIoErrorBeforeTraining()
    {
        var run = await CliRun.Of("--data-dir", "/dev/null", "train", job.TrainFile, "--in-process", "--k", "2", "--max-iter", "2");
        Assert.Equal(ExitCodes.IoFailure, run.ExitCode);
        Assert.Equal("cannot write the data directory (--data-dir) /dev/null: it is a file, not a directory", run.Error.Trim());
        Assert.DoesNotContain("trained", run.Out);

        var blocker = _scratch.Write("plain-file", "x");
        var nested = await CliRun.Of("--data-dir", Path.Combine(blocker, "data"), "train", job.TrainFile, "--k", "2", "--max-iter", "2");
        Assert.Equal(ExitCodes.IoFailure, nested.ExitCode);
        Assert.Contains($"{blocker} is a file, not a directory", nested.Error);
        Assert.DoesNotContain("Could not find", nested.Error);
        Assert.DoesNotContain("trained", nested.Out);
    }

    [Fact]
    public async Task AnUnwritableExportDirectoryIsAnIoErrorBeforeTraining()
    {
        var blocker = _scratch.Write("not-a-dir", "x");
        var run = await Train(job.TrainFile, "--in-process", "--export", Path.Combine(blocker, "out"));
        Assert.Equal(ExitCodes.IoFailure, run.ExitCode);
        Assert.Contains("cannot write the export directory (--export)", run.Error);
        Assert.DoesNotContain("trained", run.Out);

        var export = await CliRun.Of("--data-dir", job.DataDirectory, "export", TrainedJob.Name, "--out", "/proc/forbidden");
        Assert.Equal(ExitCodes.IoFailure, export.ExitCode);
        Assert.StartsWith("cannot write the export directory (--out) /proc/forbidden: ", export.Error);
        Assert.DoesNotContain("file not found", export.Error);
    }

    [Fact]
    public async Task ValLlkWithoutValidationDataIsRefused()
    {
        var run = await Train(job.TrainFile, "--stop", "val-llk");
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.Contains("--validation", run.Error);
    }

    [Fact]
    public async Task AnUnknownStopRuleListsTheKnownOnes()
    {
        var run = await Train(job.TrainFile, "--stop", "sometimes");
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.Contains("maxiter, train-llk, val-llk, diffnorm", run.Error);
    }

    [Fact]
    public async Task UnparsableAndUnknownOptionsExitWithTwo()
    {
        Assert.Equal(ExitCodes.BadOption, (await Train(job.TrainFile, "--k", "many")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Train(job.TrainFile, "--no-such-option")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await CliRun.Of()).ExitCode);
    }

    [Theory]
    [InlineData("--k", "abc", "option '--k' needs a whole number, got 'abc'")]
    [InlineData("--a", "x", "option '--a' needs a number (like 0.3 or 1e-3), got 'x'")]
    [InlineData("--seed", "-1", "option '--seed' needs a whole number ≥ 0, got '-1'")]
    [InlineData("--users-per-batch", "q", "option '--users-per-batch' needs a whole number, got 'q'")]
    public async Task UnparsableValuesAreNamedInPlainWords(string option, string value, string message)
    {
        var run = await Train(job.TrainFile, option, value);
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.StartsWith(message, run.Error);
        Assert.DoesNotContain("System.", run.Error);
    }

    [Fact]
    public async Task ABadJobNameIsRefusedBeforeReadingTheData()
    {
        var run = await Train(job.TrainFile, "--job", "../escape");
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.Contains("job name '../escape'", run.Error);
    }

    [Fact]
    public async Task AnUnknownUserIsAClearError()
    {
        var run = await CliRun.Of("--data-dir", job.DataDirectory, "recommend", TrainedJob.Name, "--user", "nobody");
        Assert.Equal(ExitCodes.UnknownUser, run.ExitCode);
        Assert.Contains("user 'nobody' is not in job 'sample'", run.Error);
    }

    [Fact]
    public async Task PredictTellsAnUnknownUserFromAnUnknownItem()
    {
        var user = await CliRun.Of("--data-dir", job.DataDirectory, "predict", TrainedJob.Name, "--user", "nobody", "--item", job.KnownItem);
        Assert.Equal(ExitCodes.UnknownUser, user.ExitCode);
        Assert.Contains("user 'nobody'", user.Error);
        var item = await CliRun.Of("--data-dir", job.DataDirectory, "predict", TrainedJob.Name, "--user", job.KnownUser, "--item", "nothing");
        Assert.Equal(ExitCodes.UnknownItem, item.ExitCode);
        Assert.Contains("item 'nothing'", item.Error);
    }

    [Fact]
    public async Task AMissingJobNamesTheDirectorySearched()
    {
        var run = await CliRun.Of("--data-dir", job.DataDirectory, "export", "ghost", "--out", _scratch.File("out"));
        Assert.Equal(ExitCodes.JobNotFound, run.ExitCode);
        Assert.Contains($"job 'ghost' not found in {Path.Combine(job.DataDirectory, "jobs")}", run.Error);
    }

    [Fact]
    public async Task SynthRangeErrorsNameTheOption()
    {
        var run = await CliRun.Of("synth", "--users", "0", "--out", _scratch.File("x.tsv"));
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.StartsWith("option '--users' must be ≥ 1", run.Error);
        Assert.False(File.Exists(_scratch.File("x.tsv")));
    }

    [Fact]
    public async Task ANumericalFailureExitsWithFourAndSavesNothing()
    {
        var run = await Train(job.TrainFile, "--job", "overflow", "--a", "1e300", "--c", "1e300");
        Assert.Equal(ExitCodes.NumericFailure, run.ExitCode);
        Assert.Contains("numerical failure at iteration", run.Error);
        Assert.False(Directory.Exists(Path.Combine(_scratch.DataDirectory, "jobs", "overflow")));
    }

    [Fact]
    public async Task ABadTestFileIsADataErrorWithItsLines()
    {
        var file = _scratch.Write("test.tsv", "u1\ti1\t1\nu1\ti2\t-4\n");
        var run = await CliRun.Of("--data-dir", job.DataDirectory, "evaluate", TrainedJob.Name, "--test", file);
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}:2: ", run.Error);
    }

    [Fact]
    public async Task ManyBadLinesAreCappedWithACountOfTheRest()
    {
        var lines = string.Concat(Enumerable.Range(0, 150).Select(n => $"u{n}\ti{n}\tnot-a-number\n"));
        var file = _scratch.Write("garbage.tsv", "user\titem\tcount\n" + lines);
        var run = await Train(file, "--header");
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}:2: ", run.Error);
        Assert.Contains("and 50 more errors", run.Error);
    }

    [Fact]
    public async Task ACancelledTrainingSavesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(
            ["--data-dir", _scratch.DataDirectory, "train", job.TrainFile, "--job", "stopped", "--k", "3", "--threads", "1"],
            output, error, cancelled.Token);
        Assert.Equal(ExitCodes.Cancelled, code);
        Assert.False(Directory.Exists(Path.Combine(_scratch.DataDirectory, "jobs", "stopped")));
    }

    /// <summary>A quick train run; <paramref name="extra"/> may replace the small K and iteration count.</summary>
    private Task<CliRun> Train(string file, params string[] extra)
    {
        var args = new List<string> { "--data-dir", _scratch.DataDirectory, "train", file, "--threads", "1" };
        if (!extra.Contains("--k")) args.AddRange(["--k", "3"]);
        if (!extra.Contains("--max-iter")) args.AddRange(["--max-iter", "3"]);
        args.AddRange(extra);
        return CliRun.Of([.. args]);
    }
}
