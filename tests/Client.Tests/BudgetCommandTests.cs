using System.Text.Json;

namespace Hpf.Cluster.Client.Tests;

/// <summary>The budget model from the console: synth, train through the embedded silo and in process, the group rankings on a saved job and a cluster's, export and pull with the groups, the refusals.</summary>
public sealed class BudgetCommandTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private Task<CliRun> Hpf(params string[] args) => CliRun.Of(["--data-dir", _scratch.DataDirectory, .. args]);

    private async Task<(string Ratings, string Groups)> SynthAsync()
    {
        var ratings = _scratch.File("plays.tsv");
        var groups = _scratch.File("artists.tsv");
        var run = (await Hpf("synth", "--model", "budget", "--users", "200", "--items", "160", "--groups", "20", "--factors", "3", "--seed", "4",
            "--out", ratings, "--groups-out", groups)).Succeeded();
        Assert.Contains("160 items in 20 groups", run.Out);
        return (ratings, groups);
    }

    [Fact]
    public async Task The_silo_and_the_in_process_trainer_fit_the_same_budget_model_and_model_json_says_so()
    {
        var (ratings, groups) = await SynthAsync();
        var grains = (await Hpf("train", ratings, "--model", "budget", "--groups", groups, "--k", "3", "--max-iter", "12", "--job", "grains")).Succeeded();
        var engine = (await Hpf("train", ratings, "--model", "budget", "--groups", groups, "--k", "3", "--max-iter", "12", "--job", "engine", "--in-process")).Succeeded();
        Assert.Equal(LastLlk(engine.Out), LastLlk(grains.Out));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "grains", "model.json")));
        Assert.Equal("budget", manifest.RootElement.GetProperty("model").GetString());
        Assert.Equal(20, manifest.RootElement.GetProperty("groups").GetInt32());
        Assert.Equal(1, manifest.RootElement.GetProperty("members").GetInt32());
        // The budget model's own shapes unless --a or --c is given.
        Assert.Equal(1.0, manifest.RootElement.GetProperty("priors").GetProperty("a").GetDouble());
        Assert.Equal(1.0, manifest.RootElement.GetProperty("priors").GetProperty("c").GetDouble());

        // Within a group: only that group's items (item n is in group n mod 20).
        using var inGroup = JsonDocument.Parse((await Hpf("recommend", "grains", "--user", "u5", "--group", "g7", "-n", "20", "--include-seen", "--json")).Succeeded().Out);
        var items = inGroup.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
        Assert.NotEmpty(items);
        Assert.All(items, item => Assert.Equal(7, int.Parse(item[1..]) % 20));
        using var ranked = JsonDocument.Parse((await Hpf("recommend", "grains", "--user", "u5", "--groups-only", "-n", "20", "--json")).Succeeded().Out);
        var scores = ranked.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("score").GetDouble()).ToArray();
        Assert.Equal(20, scores.Length);
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }

    [Fact]
    public async Task The_cluster_ranks_a_groups_items_and_the_groups_as_the_saved_job_does()
    {
        var (ratings, groups) = await SynthAsync();
        await using var cluster = await ClusterUnderTest.StartAsync();
        // Trained on the cluster and saved here too: the same model on both sides.
        (await Hpf(["train", ratings, "--model", "budget", "--groups", groups, "--k", "3", "--max-iter", "6", "--job", "both",
            "--user-shards", "2", "--item-shards", "2", .. cluster.Arguments])).Succeeded();

        foreach (var asked in new[]
        {
            new[] { "--user", "u5", "--group", "g7", "-n", "4" },
            ["--user", "u5", "--group", "g7", "-n", "20", "--include-seen"],
            ["--new-user", "--group", "g3", "-n", "3"],
            ["--user", "u12", "--groups-only", "-n", "6"],
            ["--new-user", "--groups-only", "-n", "20"],
        })
        {
            using var saved = JsonDocument.Parse((await Hpf(["recommend", "both", .. asked, "--json"])).Succeeded().Out);
            using var served = JsonDocument.Parse((await Hpf(["recommend", "both", .. asked, "--json", .. cluster.Arguments])).Succeeded().Out);
            var list = asked.Contains("--groups-only") ? "groups" : "items";
            var key = asked.Contains("--groups-only") ? "group" : "item";
            var expected = saved.RootElement.GetProperty(list).EnumerateArray().ToArray();
            var actual = served.RootElement.GetProperty(list).EnumerateArray().ToArray();
            Assert.NotEmpty(expected);
            Assert.Equal(expected.Select(e => e.GetProperty(key).GetString()), actual.Select(e => e.GetProperty(key).GetString()));
            for (var r = 0; r < expected.Length; r++)
            {
                var score = expected[r].GetProperty("score").GetDouble();
                Assert.Equal(score, actual[r].GetProperty("score").GetDouble(), 1e-6 * Math.Abs(score));
            }
        }

        // A new user folded in by the budget model's update, from the saved job and through the cluster: the same factors and items.
        string[] fold = ["fold-in", "both", "--user", "newbie", "--item", "i3:4", "--item", "i23:2", "--item", "i45:7", "-n", "5", "--json"];
        using (var savedFold = JsonDocument.Parse((await Hpf(fold)).Succeeded().Out))
        using (var servedFold = JsonDocument.Parse((await Hpf([.. fold, .. cluster.Arguments])).Succeeded().Out))
        {
            var theta = savedFold.RootElement.GetProperty("theta").EnumerateArray().Select(t => t.GetDouble()).ToArray();
            var served = servedFold.RootElement.GetProperty("theta").EnumerateArray().Select(t => t.GetDouble()).ToArray();
            Assert.Equal(3, theta.Length);
            for (var f = 0; f < theta.Length; f++) Assert.Equal(theta[f], served[f], 1e-5 * Math.Abs(theta[f]));
            var items = savedFold.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).ToArray();
            Assert.Equal(5, items.Length);
            Assert.Equal(items, servedFold.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
            Assert.DoesNotContain("i45", items);
        }
        // Adding a user is not offered for a budget job: refused in words on both sides.
        foreach (var where in new[] { Array.Empty<string>(), cluster.Arguments })
        {
            var added = await Hpf(["add-user", "both", "--user", "newbie", "--item", "i3:4", .. where]);
            Assert.NotEqual(0, added.ExitCode);
            Assert.Contains("is a budget model: add-user is not offered for it yet (recommend, fold-in, predict and evaluate are)", added.Error);
        }

        var unknown = await Hpf(["recommend", "both", "--user", "u5", "--group", "no-such-group", .. cluster.Arguments]);
        Assert.Equal(ExitCodes.UnknownItem, unknown.ExitCode);
        Assert.Contains("job 'both' has no group 'no-such-group'", unknown.Error);

        // Exported from the saved job and from the cluster's: the groups beside theta and beta, with a header or without.
        var (fromSaved, fromCluster, bare) = (_scratch.File("saved-out"), _scratch.File("cluster-out"), _scratch.File("bare-out"));
        (await Hpf("export", "both", "--out", fromSaved)).Succeeded();
        (await Hpf(["export", "both", "--out", fromCluster, .. cluster.Arguments])).Succeeded();
        (await Hpf("export", "both", "--out", bare, "--no-header")).Succeeded();
        var exported = File.ReadAllLines(Path.Combine(fromSaved, "groups.tsv"));
        Assert.Equal("item\tgroup", exported[0]);
        // A line per item of the model, in beta.tsv's order.
        Assert.Equal(File.ReadLines(Path.Combine(fromSaved, "beta.tsv")).Select(line => line.Split('\t')[0]), exported.Select(line => line.Split('\t')[0]));
        Assert.All(exported[1..], line => Assert.Equal(int.Parse(line.Split('\t')[0][1..]) % 20, int.Parse(line.Split('\t')[1][1..])));
        Assert.Equal(exported, File.ReadAllLines(Path.Combine(fromCluster, "groups.tsv")));
        Assert.Equal(exported[1..], File.ReadAllLines(Path.Combine(bare, "groups.tsv")));

        // Pulled into another store, the job keeps its groups and ranks them as the cluster does.
        using var elsewhere = new ScratchDirectory();
        (await CliRun.Of(["--data-dir", elsewhere.DataDirectory, "pull", "both", .. cluster.Arguments])).Succeeded();
        using var pulled = JsonDocument.Parse((await CliRun.Of(["--data-dir", elsewhere.DataDirectory, "recommend", "both", "--user", "u12", "--groups-only", "-n", "6", "--json"])).Succeeded().Out);
        using var remote = JsonDocument.Parse((await Hpf(["recommend", "both", "--user", "u12", "--groups-only", "-n", "6", "--json", .. cluster.Arguments])).Succeeded().Out);
        Assert.Equal(remote.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()),
            pulled.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()));
    }

    [Fact]
    public async Task The_val_llk_rule_stops_a_budget_job_through_the_silo_where_it_stops_in_process()
    {
        var (ratings, groups) = await SynthAsync();
        var (train, test) = (_scratch.File("train.tsv"), _scratch.File("test.tsv"));
        (await Hpf("split", ratings, "--train-out", train, "--test-out", test, "--seed", "3")).Succeeded();
        string[] rule = ["--model", "budget", "--groups", groups, "--k", "3", "--max-iter", "80", "--check-every", "2", "--stop", "val-llk", "--validation", test, "--stop-threshold", "1e-3"];
        var grains = (await Hpf(["train", train, .. rule, "--job", "grains"])).Succeeded();
        var engine = (await Hpf(["train", train, .. rule, "--job", "engine", "--in-process"])).Succeeded();
        var iterations = new[] { "grains", "engine" }.Select(job =>
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", job, "model.json")));
            return manifest.RootElement.GetProperty("iterations").GetInt32();
        }).ToArray();
        Assert.True(iterations[1] < 80, $"the engine ran to the cap: {engine.Out}");
        Assert.Equal(iterations[1], iterations[0]);
        Assert.Equal(LastLlk(engine.Out), LastLlk(grains.Out));
    }

    [Fact]
    public async Task Bad_budget_input_is_refused_in_plain_words()
    {
        var (ratings, groups) = await SynthAsync();
        var noGroups = await Hpf("train", ratings, "--model", "budget", "--in-process");
        Assert.Equal(ExitCodes.BadOption, noGroups.ExitCode);
        Assert.Contains("--model budget needs --groups FILE", noGroups.Error);

        var badLine = _scratch.Write("bad.tsv", "i0\tg0\ni1\n");
        var bad = await Hpf("train", ratings, "--model", "budget", "--groups", badLine, "--in-process");
        Assert.Equal(ExitCodes.BadData, bad.ExitCode);
        Assert.Contains($"{badLine}:2: expected 2 tab-separated fields (item, group), found 1", bad.Error);

        // Every item but the first ratings line's has a group: that line is named, on either path.
        var firstItem = File.ReadLines(ratings).First().Split('\t')[1];
        var partial = _scratch.Write("partial.tsv", string.Join("", File.ReadLines(groups).Where(l => l.Split('\t')[0] != firstItem).Select(l => l + "\n")));
        foreach (var path in new[] { new[] { "--in-process" }, [] })
        {
            var missing = await Hpf(["train", ratings, "--model", "budget", "--groups", partial, "--job", "missing", .. path]);
            Assert.Equal(ExitCodes.BadData, missing.ExitCode);
            Assert.Contains($"{ratings}:1: item '{firstItem}' has no group in {partial}", missing.Error);
        }

        (await Hpf("train", ratings, "--k", "3", "--max-iter", "3", "--job", "plain", "--in-process")).Succeeded();
        var plain = await Hpf("recommend", "plain", "--user", "u1", "--groups-only");
        Assert.Equal(ExitCodes.BadOption, plain.ExitCode);
        Assert.Contains("is an HPF model: it has no groups", plain.Error);
    }

    [Fact]
    public async Task Evaluate_scores_within_groups_a_budget_job_with_its_groups_and_an_HPF_job_with_the_file()
    {
        var (ratings, groups) = await SynthAsync();
        var train = _scratch.File("train.tsv");
        var test = _scratch.File("test.tsv");
        (await Hpf("split", ratings, "--train-out", train, "--test-out", test, "--seed", "2")).Succeeded();
        (await Hpf("train", train, "--model", "budget", "--groups", groups, "--k", "3", "--max-iter", "10", "--job", "budget", "--in-process")).Succeeded();
        (await Hpf("train", train, "--k", "3", "--max-iter", "10", "--job", "plain", "--in-process")).Succeeded();

        using var budget = JsonDocument.Parse((await Hpf("evaluate", "budget", "--test", test, "--top", "5", "--json")).Succeeded().Out);
        using var plain = JsonDocument.Parse((await Hpf("evaluate", "plain", "--test", test, "--top", "5", "--json", "--groups", groups)).Succeeded().Out);
        using var plainAlone = JsonDocument.Parse((await Hpf("evaluate", "plain", "--test", test, "--json")).Succeeded().Out);
        var within = budget.RootElement.GetProperty("withinGroups");
        Assert.True(within.GetProperty("pairsEvaluated").GetInt32() > 0);
        Assert.True(within.GetProperty("conditionalLogLikelihood").GetDouble() < 0);
        Assert.InRange(within.GetProperty("ndcgAtK").GetDouble(), 0, 1);
        Assert.Equal(within.GetProperty("pairsEvaluated").GetInt32(), plain.RootElement.GetProperty("withinGroups").GetProperty("pairsEvaluated").GetInt32());
        Assert.Equal(JsonValueKind.Null, plainAlone.RootElement.GetProperty("withinGroups").ValueKind);
        var table = (await Hpf("evaluate", "budget", "--test", test, "--top", "5")).Succeeded();
        Assert.Contains("within-group NDCG@5", table.Out);
        Assert.Contains("held-out conditional log-likelihood", table.Out);
    }

    private static string LastLlk(string output) =>
        output.Split('\n').Single(line => line.StartsWith("final log-likelihood", StringComparison.Ordinal));
}
