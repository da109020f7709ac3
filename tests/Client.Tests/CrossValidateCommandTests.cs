using System.Text.Json;
using Hpf.Cluster.Client.CrossValidation;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Tests;

/// <summary><c>hpf cross-validate</c> on a small sampled file: seeded folds, each fold's score as the engine computes it, on every training path.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class CrossValidateCommandTests(TrainedJob job) : IDisposable
{
    private static readonly string[] Quick = ["--k", "3", "--max-iter", "6", "--stop", "maxiter", "--check-every", "3", "--threads", "1", "--top", "5"];
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Seeded_folds_partition_the_nonzeros_and_each_fold_scores_as_the_engine_scores_it()
    {
        using var first = Json(await Cli(["cross-validate", job.SynthFile, "--folds", "3", "--seed", "9", "--in-process", "--json", .. Quick]));
        var folds = first.RootElement.GetProperty("folds").EnumerateArray().ToList();
        Assert.Equal(3, folds.Count);
        var data = TripletFileReader.Read(job.SynthFile);
        Assert.Equal(data.Nonzeros, folds.Sum(f => f.GetProperty("testNonzeros").GetInt32()));
        Assert.All(folds, f => Assert.Equal(data.Nonzeros, f.GetProperty("trainNonzeros").GetInt32() + f.GetProperty("testNonzeros").GetInt32()));
        Assert.InRange(folds.Max(f => f.GetProperty("testNonzeros").GetInt32()) - folds.Min(f => f.GetProperty("testNonzeros").GetInt32()), 0, 1);

        // Fold by fold, what the engine gives on the same split.
        var options = new TrainingOptions { Factors = 3, MaxIterations = 6, Stop = StopRule.MaxIter, CheckEvery = 3, Threads = 1, Seed = 9 };
        var split = KFoldSplit.Of(data, 3, 9, CancellationToken.None);
        var scores = new List<EvaluationReport>();
        for (var f = 0; f < 3; f++)
        {
            var model = new InProcessTrainer(options).Train(split[f].Train).Model;
            var expected = ModelEvaluator.Evaluate(model, split[f].Train, split[f].Test, k: 5, threads: 1);
            scores.Add(expected);
            var report = folds[f].GetProperty("report");
            Assert.Equal(f + 1, folds[f].GetProperty("fold").GetInt32());
            Assert.Equal(expected.HeldOutLogLikelihood, report.GetProperty("heldOutLogLikelihood").GetDouble(), 1e-12);
            Assert.Equal(expected.NdcgAtK, report.GetProperty("ndcgAtK").GetDouble(), 1e-12);
            Assert.Equal(expected.TestNonzeros, report.GetProperty("testNonzeros").GetInt32());
        }
        var precisions = scores.Select(s => s.PrecisionAtK).ToList();
        var mean = precisions.Average();
        var sd = Math.Sqrt(precisions.Sum(p => (p - mean) * (p - mean)) / 2);
        Assert.Equal(mean, first.RootElement.GetProperty("mean").GetProperty("precisionAtK").GetDouble(), 1e-12);
        Assert.Equal(sd, first.RootElement.GetProperty("sd").GetProperty("precisionAtK").GetDouble(), 1e-12);

        // The same seed gives the same folds and figures; another seed another split.
        var again = await Cli(["cross-validate", job.SynthFile, "--folds", "3", "--seed", "9", "--in-process", "--json", .. Quick]);
        Assert.Equal(first.RootElement.GetRawText(), JsonDocument.Parse(again.Succeeded().Out).RootElement.GetRawText());
        var other = KFoldSplit.Of(data, 3, 10, CancellationToken.None);
        Assert.NotEqual(Pairs(split[0].Test), Pairs(other[0].Test));
    }

    [Fact]
    public async Task The_embedded_silo_and_a_cluster_give_the_in_process_figures_and_leave_no_jobs()
    {
        string[] common = ["cross-validate", job.SynthFile, "--folds", "2", "--seed", "4", "--json", .. Quick];
        using var here = Json(await Cli([.. common, "--in-process"]));
        using var embedded = Json(await Cli(common));
        await using var cluster = await ClusterUnderTest.StartAsync();
        var onCluster = (await Cli([.. common, "--job", "cv", "--user-shards", "2", "--item-shards", "2", .. cluster.Arguments])).Succeeded();
        Assert.Contains($"cross-validating on the cluster at {cluster.Gateway}: jobs cv-1 … cv-2", onCluster.Error);
        using var remote = JsonDocument.Parse(onCluster.Out);
        foreach (var other in new[] { embedded, remote })
        {
            var expected = here.RootElement.GetProperty("folds").EnumerateArray().ToList();
            var actual = other.RootElement.GetProperty("folds").EnumerateArray().ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var f = 0; f < expected.Count; f++)
            {
                foreach (var metric in new[] { "heldOutLogLikelihood", "precisionAtK", "recallAtK", "ndcgAtK" })
                {
                    var e = expected[f].GetProperty("report").GetProperty(metric).GetDouble();
                    Assert.Equal(e, actual[f].GetProperty("report").GetProperty(metric).GetDouble(), 1e-5 * Math.Max(1, Math.Abs(e)));
                }
            }
        }
        var jobs = (await Cli(["jobs", "--json", .. cluster.Arguments])).Succeeded();
        Assert.Equal(0, JsonDocument.Parse(jobs.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task MovieLens_folds_are_read_from_their_directory_and_a_table_shows_mean_and_sd()
    {
        // u1…u5 as MovieLens lays them out (user item rating timestamp), cut from the sampled file.
        var lines = (await File.ReadAllLinesAsync(job.SynthFile)).Where(l => l.Length > 0 && char.IsAsciiLetter(l[0])).Select(l => l.Split('\t')).ToList();
        var directory = Directory.CreateDirectory(_scratch.File("ml")).FullName;
        for (var f = 1; f <= 5; f++)
        {
            var fold = f;
            await File.WriteAllLinesAsync(Path.Combine(directory, $"u{f}.base"), lines.Where((_, n) => n % 5 != fold - 1).Select(Row));
            await File.WriteAllLinesAsync(Path.Combine(directory, $"u{f}.test"), lines.Where((_, n) => n % 5 == fold - 1).Select(Row));
        }
        var run = (await Cli(["cross-validate", "--ml-folds", directory, "--in-process", .. Quick])).Succeeded();
        Assert.Contains($"5-fold cross-validation of {directory}", run.Out);
        Assert.Contains("mean ± sd", run.Out);
        Assert.Contains("NDCG@5", run.Out);
        for (var f = 1; f <= 5; f++)
        {
            var test = TripletFileReader.Read(Path.Combine(directory, $"u{f}.test"));
            Assert.Contains($"fold {f}/5: training on {TripletFileReader.Read(Path.Combine(directory, $"u{f}.base")).Nonzeros} nonzeros", run.Out);
            Assert.Contains($" testing on {test.Nonzeros}", run.Out);
        }

        File.Delete(Path.Combine(directory, "u4.test"));
        var missing = await Cli(["cross-validate", "--ml-folds", directory, "--in-process", .. Quick]);
        Assert.Equal(ExitCodes.BadData, missing.ExitCode);
        Assert.Contains("u4.test", missing.Error);

        static string Row(string[] fields) => $"{fields[0]}\t{fields[1]}\t{fields[2]}\t881250949";
    }

    [Fact]
    public async Task Contradicting_options_are_refused()
    {
        Assert.Equal(ExitCodes.BadOption, (await Cli("cross-validate")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Cli("cross-validate", job.SynthFile, "--ml-folds", _scratch.Root)).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Cli("cross-validate", "--ml-folds", _scratch.Root, "--folds", "3")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Cli("cross-validate", job.SynthFile, "--folds", "1", "--in-process")).ExitCode);
        var valLlk = await Cli("cross-validate", job.SynthFile, "--stop", "val-llk", "--in-process");
        Assert.Equal(ExitCodes.BadOption, valLlk.ExitCode);
        Assert.Contains("each fold's test set is kept for scoring", valLlk.Error);
    }

    private Task<CliRun> Cli(params string[] args) => CliRun.Of(["--data-dir", _scratch.DataDirectory, .. args]);

    private static JsonDocument Json(CliRun run) => JsonDocument.Parse(run.Succeeded().Out);

    private static List<(string, string)> Pairs(Dataset data) =>
        [.. Enumerable.Range(0, data.Users).SelectMany(u => data.ByUser.OthersOf(u).ToArray().Select(i => (data.UserIds[u], data.ItemIds[i])))];
}
