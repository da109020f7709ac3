namespace Hpf.Cluster.Client.Tests;

/// <summary>How the console reads a data file's first line and what it says when a whole file is in the wrong shape.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task ABadCountOnLineOneIsAnErrorNotAHeader()
    {
        var file = _scratch.Write("first.tsv", "u1\ti1\tmany\n" + Body());
        var run = await Train(file, "--in-process");
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}:1: count 'many' is not a number", run.Error);
        Assert.Contains("--header", run.Error);
    }

    [Theory]
    [InlineData("--in-process")]
    [InlineData("--local")]
    public async Task AHeaderIsSkippedWhenSaidSoOnBothPaths(string target)
    {
        var file = _scratch.Write("headed.tsv", "user\titem\tplays\n" + Body());
        var refused = await Train(file, target);
        Assert.Equal(ExitCodes.BadData, refused.ExitCode);
        Assert.Contains($"{file}:1: count 'plays' is not a number", refused.Error);

        var run = (await Train(file, target, "--header")).Succeeded();
        Assert.Contains("saved job 'headed'", run.Out);
    }

    [Fact]
    public async Task ACsvHeaderIsSkippedWithoutBeingTold()
    {
        var file = _scratch.Write("ratings.csv", "user,item,count\n" + Body().Replace('\t', ','));
        (await Train(file, "--in-process")).Succeeded();
    }

    [Theory]
    [InlineData("spaces.tsv", ' ', "", "separated by spaces")]
    [InlineData("commas.tsv", ',', "", "--format csv")]
    [InlineData("tabs.txt", '\t', "csv", "--format tsv")]
    public async Task AFileInTheWrongShapeGetsOneHintAfterAFewLines(string name, char separator, string format, string hint)
    {
        var file = _scratch.Write(name, Body().Replace('\t', separator));
        var run = format == "" ? await Train(file, "--in-process") : await Train(file, "--in-process", "--format", format);
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}:1: expected 3 fields", run.Error);
        Assert.Contains($"{file}:5: expected 3 fields", run.Error);
        Assert.DoesNotContain($"{file}:6: ", run.Error);
        Assert.Contains(hint, run.Error);
    }

    [Fact]
    public async Task ABinaryFileIsCalledOne()
    {
        var bytes = new byte[20_000];
        new Random(5).NextBytes(bytes);
        var file = _scratch.File("model.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var run = await Train(file, "--in-process");
        Assert.Equal(ExitCodes.BadData, run.ExitCode);
        Assert.Contains($"{file}: this looks like a binary file", run.Error);
        Assert.True(run.Error.Split('\n').Length < 20, run.Error);
    }

    private static string Body() =>
        string.Concat(Enumerable.Range(0, 40).Select(n => $"u{n % 7}\ti{n % 11}\t{1 + n % 4}\n"));

    private Task<CliRun> Train(string file, params string[] extra) =>
        CliRun.Of(["--data-dir", _scratch.DataDirectory, "train", file, "--threads", "1", "--k", "2", "--max-iter", "2", .. extra]);
}
