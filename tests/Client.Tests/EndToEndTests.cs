using System.Globalization;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Tests;

/// <summary>synth → train → jobs → recommend → predict → evaluate → export, through the command line as a user types it.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class EndToEndTests(TrainedJob job)
{
    [Fact]
    public void SynthWritesTabSeparatedCountTriplets()
    {
        Assert.Contains("nonzeros", job.Synth.Out);
        var data = TripletFileReader.Read(job.SynthFile, DatasetFormat.Tsv);
        Assert.True(data.Nonzeros > 100);
        Assert.All(File.ReadLines(job.SynthFile).Take(20), line => Assert.Equal(3, line.Split('\t').Length));
    }

    [Fact]
    public async Task SynthIsDeterministicInItsSeed()
    {
        using var scratch = new ScratchDirectory();
        var again = scratch.File("again.tsv");
        (await CliRun.Of("synth", "--users", "120", "--items", "80", "--factors", "3", "--seed", "7", "--out", again)).Succeeded();
        Assert.Equal(await File.ReadAllTextAsync(job.SynthFile), await File.ReadAllTextAsync(again));
    }

    [Fact]
    public void TrainPrintsProgressLinesAndASummary()
    {
        var output = job.Train.Out;
        Assert.Matches(@"iteration 4/12  llk -?\d\.\d{3}e[+-]\d{2}  elapsed \d\d:\d\d:\d\d\.\d  left \d\d:\d\d:\d\d", output);
        Assert.Contains("iteration 12/12", output);
        Assert.Contains("loaded ", output);
        Assert.Contains("s/iteration", output);
        Assert.Contains("final log-likelihood: train ", output);
        Assert.Contains($"saved job '{TrainedJob.Name}' in {Path.Combine(job.DataDirectory, "jobs", TrainedJob.Name)}", output);
        Assert.Empty(job.Train.Error);
    }

    [Fact]
    public async Task JobsListsTheTrainedJob()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "jobs")).Succeeded();
        Assert.Contains(TrainedJob.Name, run.Out);
        Assert.Contains($"{TrainedJob.Iterations}", run.Out);
    }

    [Fact]
    public async Task DataDirectoryCanComeAfterTheCommand()
    {
        var run = (await CliRun.Of("jobs", "--data-dir", job.DataDirectory)).Succeeded();
        Assert.Contains(TrainedJob.Name, run.Out);
    }

    [Fact]
    public async Task RecommendRanksUnseenItemsByScore()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "recommend", TrainedJob.Name, "--user", job.KnownUser, "-n", "5", "--json")).Succeeded();
        using var json = JsonDocument.Parse(run.Out);
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        var scores = items.Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);

        var train = TripletFileReader.Read(job.TrainFile, DatasetFormat.Tsv);
        var seen = train.ByUser.OthersOf(train.IndexOfUser(job.KnownUser)).ToArray().Select(i => train.ItemIds[i]).ToHashSet();
        Assert.DoesNotContain(items, i => seen.Contains(i.GetProperty("item").GetString()!));
    }

    [Fact]
    public async Task RecommendWithSeenItemsAgreesWithPredict()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "recommend", TrainedJob.Name, "--user", job.KnownUser, "-n", "3", "--include-seen", "--json")).Succeeded();
        using var json = JsonDocument.Parse(run.Out);
        var best = json.RootElement.GetProperty("items")[0];
        var predict = (await CliRun.Of("--data-dir", job.DataDirectory, "predict", TrainedJob.Name, "--user", job.KnownUser, "--item", best.GetProperty("item").GetString()!, "--json")).Succeeded();
        using var predicted = JsonDocument.Parse(predict.Out);
        // recommend ranks in float32 (as evaluation does), predict answers in float64: the same score to float precision.
        var recommended = best.GetProperty("score").GetDouble();
        Assert.Equal(predicted.RootElement.GetProperty("score").GetDouble(), recommended, 1e-6 * Math.Abs(recommended));
    }

    [Fact]
    public async Task RecommendPrintsATable()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "recommend", TrainedJob.Name, "--user", job.KnownUser)).Succeeded();
        Assert.Contains("rank", run.Out);
        Assert.Contains("score", run.Out);
    }

    [Fact]
    public async Task PredictGivesAPositiveCount()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "predict", TrainedJob.Name, "--user", job.KnownUser, "--item", job.KnownItem)).Succeeded();
        Assert.StartsWith($"user {job.KnownUser}, item {job.KnownItem}: predicted count ", run.Out);
        var value = double.Parse(run.Out.Trim().Split(' ')[^1], CultureInfo.InvariantCulture);
        Assert.True(value > 0);
    }

    [Fact]
    public async Task EvaluatePrintsTheReportAsJson()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "evaluate", TrainedJob.Name, "--test", job.TestFile, "--top", "5", "--json")).Succeeded();
        using var json = JsonDocument.Parse(run.Out);
        var report = json.RootElement.GetProperty("report");
        Assert.Equal(5, report.GetProperty("k").GetInt32());
        Assert.True(report.GetProperty("usersEvaluated").GetInt32() > 0);
        Assert.True(report.GetProperty("testNonzeros").GetInt32() > 0);
        var precision = report.GetProperty("precisionAtK").GetDouble();
        Assert.InRange(precision, 0, 1);
        Assert.True(double.IsFinite(report.GetProperty("heldOutLogLikelihood").GetDouble()));
    }

    [Fact]
    public async Task EvaluatePrintsATable()
    {
        var run = (await CliRun.Of("--data-dir", job.DataDirectory, "evaluate", TrainedJob.Name, "--test", job.TestFile)).Succeeded();
        Assert.Contains("precision@20", run.Out);
        Assert.Contains("NDCG@20", run.Out);
        Assert.Contains("held-out log-likelihood", run.Out);
    }

    [Fact]
    public async Task ExportWritesOneRowPerIdWithKFactors()
    {
        var target = Path.Combine(job.Root, "export-command");
        (await CliRun.Of("--data-dir", job.DataDirectory, "export", TrainedJob.Name, "--out", target)).Succeeded();
        var train = TripletFileReader.Read(job.TrainFile, DatasetFormat.Tsv);
        AssertFactorFile(Path.Combine(target, "theta.tsv"), train.UserIds);
        AssertFactorFile(Path.Combine(target, "beta.tsv"), train.ItemIds);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(job.ExportDirectory, "theta.tsv")), await File.ReadAllTextAsync(Path.Combine(target, "theta.tsv")));

        var bare = Path.Combine(job.Root, "export-no-header");
        (await CliRun.Of("--data-dir", job.DataDirectory, "export", TrainedJob.Name, "--out", bare, "--no-header")).Succeeded();
        Assert.Equal((await File.ReadAllLinesAsync(Path.Combine(target, "theta.tsv")))[1..], await File.ReadAllLinesAsync(Path.Combine(bare, "theta.tsv")));
        AssertFactorFile(Path.Combine(bare, "beta.tsv"), train.ItemIds, header: false);
    }

    [Fact]
    public void ModelJsonHasTimingsAndTheLikelihoodCurve()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(job.ExportDirectory, "model.json")));
        var root = json.RootElement;
        Assert.Equal(TrainedJob.Iterations, root.GetProperty("iterations").GetInt32());
        Assert.True(root.GetProperty("secondsPerIteration").GetDouble() > 0);
        Assert.True(root.GetProperty("trainingSeconds").GetDouble() > 0);
        Assert.True(root.GetProperty("loadSeconds").GetDouble() > 0);
        Assert.Equal(TrainedJob.Factors, root.GetProperty("k").GetInt32());
        Assert.Equal(3ul, root.GetProperty("seed").GetUInt64());
        Assert.Equal(job.TrainFile, root.GetProperty("dataFile").GetString());
        var curve = root.GetProperty("curve").EnumerateArray().ToList();
        Assert.Equal([4, 8, 12], curve.Select(p => p.GetProperty("iteration").GetInt32()));
        Assert.All(curve, p =>
        {
            Assert.True(p.GetProperty("trainLogLikelihood").GetDouble() < 0);
            Assert.Equal(JsonValueKind.Number, p.GetProperty("validationLogLikelihood").ValueKind);
            Assert.True(p.GetProperty("seconds").GetDouble() > 0);
        });
    }

    private static void AssertFactorFile(string path, string[] ids, bool header = true)
    {
        var lines = File.ReadAllLines(path);
        if (header) Assert.Matches(@"^(user|item)\tf1\t", lines[0]);
        var rows = header ? lines[1..] : lines;
        Assert.Equal(ids.Length, rows.Length);
        for (var n = 0; n < rows.Length; n++)
        {
            var fields = rows[n].Split('\t');
            Assert.Equal(ids[n], fields[0]);
            Assert.Equal(TrainedJob.Factors + 1, fields.Length);
            Assert.All(fields.Skip(1), f => Assert.True(float.Parse(f, CultureInfo.InvariantCulture) > 0));
        }
    }
}
