using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Tests;

public sealed class SplitCommandTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task SplitWritesTwoDisjointFilesThatTogetherAreTheData()
    {
        var data = _scratch.File("data.tsv");
        (await CliRun.Of("synth", "--users", "60", "--items", "40", "--factors", "3", "--seed", "2", "--out", data)).Succeeded();
        var train = _scratch.File("train.tsv");
        var test = _scratch.File("test.tsv");
        (await CliRun.Of("split", data, "--test-fraction", "0.25", "--seed", "7", "--train-out", train, "--test-out", test)).Succeeded();

        var all = Lines(data);
        var trainLines = Lines(train);
        var testLines = Lines(test);
        Assert.Empty(trainLines.Intersect(testLines));
        Assert.Equal(all.OrderBy(l => l, StringComparer.Ordinal), trainLines.Concat(testLines).OrderBy(l => l, StringComparer.Ordinal));
        Assert.Equal((int)Math.Round(0.25 * all.Count, MidpointRounding.AwayFromZero), testLines.Count);
        Assert.Equal(TripletFileReader.Read(test).Nonzeros, testLines.Count);

        // Same seed, same split.
        var again = _scratch.File("test-again.tsv");
        (await CliRun.Of("split", data, "--test-fraction", "0.25", "--seed", "7", "--train-out", _scratch.File("train-again.tsv"), "--test-out", again)).Succeeded();
        Assert.Equal(testLines, Lines(again));
    }

    [Fact]
    public async Task AFractionThatLeavesASideEmptyIsABadOption()
    {
        var data = _scratch.Write("tiny.tsv", "u1\ti1\t2\nu2\ti1\t1\n");
        var run = await CliRun.Of("split", data, "--test-fraction", "0.1", "--train-out", _scratch.File("a.tsv"), "--test-out", _scratch.File("b.tsv"));
        Assert.Equal(ExitCodes.BadOption, run.ExitCode);
        Assert.Contains("--test-fraction", run.Error);
        Assert.False(File.Exists(_scratch.File("a.tsv")));
    }

    private static List<string> Lines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
}
