using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// recommend, predict, fold-in, add-user and evaluate end to end, on the saved job and with <c>--cluster</c> on the same
/// model: the answers agree, and every refusal has its exit code.
/// </summary>
public sealed class ServingCommandTests(ServedClusterJob served) : IClassFixture<ServedClusterJob>
{
    private const string Job = ServedClusterJob.Name;

    [Fact]
    public async Task Recommendations_from_the_cluster_are_the_saved_jobs()
    {
        foreach (var user in new[] { served.Train.UserIds[0], served.Train.UserIds[41], served.Train.UserIds[^1] })
        {
            foreach (var extra in new[] { Array.Empty<string>(), ["--include-seen"] })
            {
                using var local = Json(await served.Local(["recommend", Job, "--user", user, "-n", "6", "--json", .. extra]));
                using var remote = Json(await served.OnCluster(["recommend", Job, "--user", user, "-n", "6", "--json", .. extra]));
                AssertSameItems(local, remote);
                Assert.Equal(ServedClusterJob.Iterations, remote.RootElement.GetProperty("servedIteration").GetInt32());
                Assert.False(remote.RootElement.GetProperty("fromCheckpoint").GetBoolean());
                Assert.Equal(extra.Length > 0, remote.RootElement.GetProperty("includeSeen").GetBoolean());
            }
        }
        // Seen items are left out on the cluster as locally.
        var u = 7;
        var seen = served.Train.ByUser.OthersOf(u).ToArray().Select(i => served.Train.ItemIds[i]).ToHashSet();
        using var ranked = Json(await served.OnCluster("recommend", Job, "--user", served.Train.UserIds[u], "-n", "20", "--json"));
        Assert.DoesNotContain(Items(ranked), seen.Contains);

        var pool = served.Scratch.Write("pool.txt", string.Join('\n', served.Train.ItemIds.Where((_, i) => i % 3 == 0).Append("no-such-item")) + "\n");
        using var pooledLocal = Json(await served.Local("recommend", Job, "--user", served.Train.UserIds[u], "-n", "5", "--pool", pool, "--json"));
        using var pooledRemote = Json(await served.OnCluster("recommend", Job, "--user", served.Train.UserIds[u], "-n", "5", "--pool", pool, "--json"));
        AssertSameItems(pooledLocal, pooledRemote);
        Assert.All(Items(pooledRemote), item => Assert.Equal(0, served.Train.IndexOfItem(item) % 3));

        var table = (await served.OnCluster("recommend", Job, "--user", served.Train.UserIds[0], "-n", "3")).Succeeded();
        Assert.Contains("rank", table.Out);
        Assert.Contains("score", table.Out);
    }

    [Fact]
    public async Task A_new_users_recommendations_are_the_same_on_the_cluster_and_the_saved_job()
    {
        using var local = Json(await served.Local("recommend", Job, "--new-user", "-n", "8", "--json"));
        using var remote = Json(await served.OnCluster("recommend", Job, "--new-user", "-n", "8", "--json"));
        AssertSameItems(local, remote);
        Assert.True(remote.RootElement.GetProperty("newUser").GetBoolean());
        Assert.Equal(JsonValueKind.Null, remote.RootElement.GetProperty("user").ValueKind);
        // The prior predictive: items by Σ_k E[β_ik].
        var model = new JobStore(served.DataDirectory).Open(Job).LoadModel();
        var beta = model.ItemFactorMatrix();
        var popular = Enumerable.Range(0, model.Items)
            .Select(i => (Id: model.ItemIds[i], Score: beta.AsSpan(i * model.Factors, model.Factors).ToArray().Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(8).Select(x => x.Id);
        Assert.Equal(popular, Items(remote));

        Assert.Equal(ExitCodes.BadOption, (await served.Local("recommend", Job, "--new-user", "--user", "u1")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await served.Local("recommend", Job)).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await served.Local("recommend", Job, "--new-user", "--include-seen")).ExitCode);
    }

    [Fact]
    public async Task Predictions_of_one_pair_and_of_a_file_of_pairs_agree_with_the_saved_job()
    {
        var user = served.Train.UserIds[3];
        var item = served.Train.ItemIds[10];
        using var local = Json(await served.Local("predict", Job, "--user", user, "--item", item, "--json"));
        using var remote = Json(await served.OnCluster("predict", Job, "--user", user, "--item", item, "--json"));
        var score = local.RootElement.GetProperty("score").GetDouble();
        Assert.Equal(score, remote.RootElement.GetProperty("score").GetDouble(), 1e-6 * score);
        var line = (await served.OnCluster("predict", Job, "--user", user, "--item", item)).Succeeded();
        Assert.StartsWith($"user {user}, item {item}: predicted count ", line.Out);

        var pairs = Enumerable.Range(0, 5).Select(n => (served.Train.UserIds[n * 9], served.Train.ItemIds[n * 7])).ToList();
        var file = served.Scratch.Write("pairs.tsv", string.Concat(pairs.Select(p => $"{p.Item1}\t{p.Item2}\n")));
        using var many = Json(await served.OnCluster("predict", Job, "--pairs", file, "--json"));
        var predictions = many.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(pairs.Count, predictions.Count);
        var model = new JobStore(served.DataDirectory).Open(Job).LoadModel();
        for (var p = 0; p < pairs.Count; p++)
        {
            Assert.Equal(pairs[p].Item1, predictions[p].GetProperty("user").GetString());
            Assert.Equal(pairs[p].Item2, predictions[p].GetProperty("item").GetString());
            var expected = model.Predict(model.IndexOfUser(pairs[p].Item1), model.IndexOfItem(pairs[p].Item2));
            Assert.Equal(expected, predictions[p].GetProperty("score").GetDouble(), 1e-6 * expected);
        }
        var table = (await served.Local("predict", Job, "--pairs", file)).Succeeded();
        Assert.Contains("predicted count", table.Out);
        Assert.Contains(pairs[4].Item2, table.Out);
    }

    [Fact]
    public async Task Fold_in_on_the_saved_job_gives_the_factors_and_items_the_cluster_gives()
    {
        var u = 12;
        var counts = served.Train.ByUser.OthersOf(u).ToArray().Select((i, n) => $"{served.Train.ItemIds[i]}\t{served.Train.ByUser.CountsOf(u)[n]}\n");
        var file = served.Scratch.Write("counts.tsv", "item\tcount\n" + string.Concat(counts) + "unheard-of\t2\n");
        foreach (var user in new string?[] { null, "someone" })
        {
            string[] named = user is null ? [] : ["--user", user];
            using var local = Json(await served.Local(["fold-in", Job, "--counts", file, "-n", "5", "--json", .. named]));
            using var remote = Json(await served.OnCluster(["fold-in", Job, "--counts", file, "-n", "5", "--json", .. named]));
            var localTheta = Floats(local, "theta");
            var remoteTheta = Floats(remote, "theta");
            Assert.Equal(ServedClusterJob.Factors, remoteTheta.Length);
            for (var f = 0; f < localTheta.Length; f++)
                Assert.True(Math.Abs(localTheta[f] - remoteTheta[f]) <= 1e-4 * Math.Abs(remoteTheta[f]), $"θ_{f}: {localTheta[f]} here, {remoteTheta[f]} on the cluster");
            Assert.Equal(["unheard-of"], remote.RootElement.GetProperty("unknownItems").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["unheard-of"], local.RootElement.GetProperty("unknownItems").EnumerateArray().Select(e => e.GetString()));
            AssertSameItems(local, remote);
        }
        var text = (await served.OnCluster("fold-in", Job, "--item", $"{served.Train.ItemIds[0]}:3", "--item", "unheard-of:1", "-n", "3")).Succeeded();
        Assert.Contains($"folded a new user into job '{Job}'", text.Out);
        Assert.Contains("left out 1 of 2 counted items the model does not have: unheard-of", text.Error);
    }

    [Fact]
    public async Task An_added_user_is_served_afterwards_on_the_cluster_and_on_the_saved_job()
    {
        string[] counts = ["--item", $"{served.Train.ItemIds[1]}:4", "--item", $"{served.Train.ItemIds[2]}:1"];
        var store = new JobStore(served.DataDirectory);
        var usersBefore = store.Open(Job).Manifest.Users;

        foreach (var (run, where) in new (Func<string[], Task<CliRun>>, string)[] { (served.Local, "saved job"), (served.OnCluster, "cluster") })
        {
            var user = $"newcomer-{where.Replace(' ', '-')}";
            var added = (await run(["add-user", Job, "--user", user, .. counts])).Succeeded();
            Assert.Contains($"user '{user}' is stored in job '{Job}'", added.Out);
            using var recommended = Json(await run(["recommend", Job, "--user", user, "-n", "4", "--json"]));
            var items = Items(recommended).ToList();
            Assert.Equal(4, items.Count);
            Assert.DoesNotContain(served.Train.ItemIds[1], items);
            Assert.DoesNotContain(served.Train.ItemIds[2], items);

            var again = await run(["add-user", Job, "--user", user, .. counts]);
            Assert.True(again.ExitCode == ExitCodes.BadOption, $"{where}: exit {again.ExitCode} {again.Error}");
            Assert.Contains("pass --update-existing", again.Error);
            using var replaced = Json(await run(["add-user", Job, "--user", user, "--item", $"{served.Train.ItemIds[5]}:2", "--update-existing", "--json"]));
            using var predicted = Json(await run(["predict", Job, "--user", user, "--item", served.Train.ItemIds[6], "--json"]));
            var model = store.Open(Job).LoadModel();
            var beta = new float[model.Factors];
            model.ItemFactors(model.IndexOfItem(served.Train.ItemIds[6]), beta);
            var expected = Floats(replaced, "theta").Zip(beta, (t, b) => (double)t * b).Sum();
            Assert.Equal(expected, predicted.RootElement.GetProperty("score").GetDouble(), 1e-5 * expected);
        }
        // Locally the job was saved again with the user (once: the update replaced them); the trained users are as they were.
        var entry = store.Open(Job);
        Assert.Equal(usersBefore + 1, entry.Manifest.Users);
        Assert.Equal(entry.Manifest.Users, entry.LoadTrainingSet().Users);
        var train = entry.LoadTrainingSet();
        var row = train.IndexOfUser("newcomer-saved-job");
        Assert.Equal([served.Train.IndexOfItem(served.Train.ItemIds[5])], train.ByUser.OthersOf(row).ToArray());
        using var knownLocal = Json(await served.Local("recommend", Job, "--user", served.Train.UserIds[0], "-n", "5", "--json"));
        using var knownRemote = Json(await served.OnCluster("recommend", Job, "--user", served.Train.UserIds[0], "-n", "5", "--json"));
        AssertSameItems(knownLocal, knownRemote);
        Assert.Equal(ExitCodes.BadOption, (await served.Local("add-user", Job, "--user", served.Train.UserIds[0], "--item", "i1:1")).ExitCode);
    }

    [Fact]
    public async Task Evaluation_on_the_cluster_is_the_saved_jobs_evaluation()
    {
        using var local = Json(await served.Local("evaluate", Job, "--test", served.TestFile, "--top", "5", "--json"));
        using var remote = Json(await served.OnCluster("evaluate", Job, "--test", served.TestFile, "--top", "5", "--json"));
        var a = local.RootElement.GetProperty("report");
        var b = remote.RootElement.GetProperty("report");
        Assert.Equal(a.GetProperty("heldOutLogLikelihood").GetDouble(), b.GetProperty("heldOutLogLikelihood").GetDouble(), 1e-6);
        foreach (var metric in new[] { "precisionAtK", "recallAtK", "ndcgAtK" })
            Assert.Equal(a.GetProperty(metric).GetDouble(), b.GetProperty(metric).GetDouble(), 1e-9);
        foreach (var count in new[] { "k", "usersEvaluated", "testNonzeros", "skippedUnknownUser", "skippedUnknownItem" })
            Assert.Equal(a.GetProperty(count).GetInt32(), b.GetProperty(count).GetInt32());
        Assert.False(remote.RootElement.GetProperty("fromCheckpoint").GetBoolean());
        Assert.Contains("NDCG@20", (await served.OnCluster("evaluate", Job, "--test", served.TestFile)).Succeeded().Out);

        var bad = served.Scratch.Write("bad-test.tsv", "u1\ti1\t1\nu1\ti2\t-4\n");
        var refused = await served.OnCluster("evaluate", Job, "--test", bad);
        Assert.Equal(ExitCodes.BadData, refused.ExitCode);
        Assert.Contains($"{bad}:2: ", refused.Error);
    }

    [Fact]
    public async Task Every_refusal_of_the_cluster_has_its_own_exit_code()
    {
        var user = await served.OnCluster("recommend", Job, "--user", "nobody");
        Assert.Equal(ExitCodes.UnknownUser, user.ExitCode);
        Assert.Contains("no user 'nobody'", user.Error);
        var item = await served.OnCluster("predict", Job, "--user", served.Train.UserIds[0], "--item", "nothing");
        Assert.Equal(ExitCodes.UnknownItem, item.ExitCode);
        Assert.Contains("no item 'nothing'", item.Error);
        var job = await served.OnCluster("recommend", "ghost", "--new-user");
        Assert.Equal(ExitCodes.JobNotFound, job.ExitCode);
        Assert.Contains("job 'ghost' not found on the cluster", job.Error);
        Assert.Equal(ExitCodes.JobNotFound, (await served.Local("fold-in", "ghost", "--item", "i1:1")).ExitCode);

        // A job created on the cluster but given no data has no model to serve.
        await served.Cluster.Grains.GetGrain<ICoordinatorGrain>("unfed").Create(new JobSpec(), replace: false, CancellationToken.None);
        var unfed = await served.OnCluster("recommend", "unfed", "--new-user");
        Assert.Equal(ExitCodes.JobNotServable, unfed.ExitCode);
        Assert.Contains("it has no model until it has trained", unfed.Error);
        Assert.Equal(ExitCodes.JobNotServable, (await served.OnCluster("fold-in", "unfed", "--item", "i1:1")).ExitCode);
    }

    [Fact]
    public async Task Titles_from_a_utf8_id_tab_title_file_with_or_without_header_show_beside_the_item_ids()
    {
        var model = new JobStore(served.DataDirectory).Open(Job).LoadModel();
        var body = string.Concat(model.ItemIds.Select((id, n) => $"{id}\tÉtude n°{n} – 東京\n"));
        foreach (var (name, text) in new[] { ("titles.tsv", body), ("headed-titles.tsv", "itemId\ttitle\n" + body) })
        {
            var titles = served.Scratch.File(name);
            await File.WriteAllTextAsync(titles, text, new UTF8Encoding(false));
            var run = (await served.Local("predict", Job, "--user", served.Train.UserIds[1], "--item", model.ItemIds[3], "--titles", titles, "--json")).Succeeded();
            Assert.Contains("Étude n°3 – 東京", run.Out);
            var table = (await served.Local("recommend", Job, "--new-user", "-n", "2", "--titles", titles)).Succeeded();
            Assert.Contains("Étude n°", table.Out);
        }
        var bad = served.Scratch.Write("bad-titles.tsv", "i1\tOne\nno tab here\n");
        var refused = await served.Local("recommend", Job, "--new-user", "--titles", bad);
        Assert.Equal(ExitCodes.BadData, refused.ExitCode);
        Assert.Contains($"{bad}:2: expected id<TAB>title, found no tab", refused.Error);
    }

    [Fact]
    public async Task Titles_from_a_latin1_u_item_file_show_beside_the_item_ids()
    {
        var model = new JobStore(served.DataDirectory).Open(Job).LoadModel();
        var lines = model.ItemIds.Select((id, n) => $"{id}|Caf\u00e9 n\u00b0{n} (1995)|01-Jan-1995||http://example/|0|1\n");
        var titles = served.Scratch.File("u.item");
        await File.WriteAllTextAsync(titles, string.Concat(lines), Encoding.Latin1);

        using var json = Json(await served.OnCluster("recommend", Job, "--user", served.Train.UserIds[2], "-n", "3", "--titles", titles, "--json"));
        foreach (var ranked in json.RootElement.GetProperty("items").EnumerateArray())
        {
            var n = model.IndexOfItem(ranked.GetProperty("item").GetString()!);
            Assert.Equal($"Caf\u00e9 n\u00b0{n} (1995)", ranked.GetProperty("title").GetString());
        }
        var table = (await served.Local("recommend", Job, "--new-user", "-n", "2", "--titles", titles)).Succeeded();
        Assert.Contains("title", table.Out);
        Assert.Contains("Caf\u00e9 n\u00b0", table.Out);
        using var folded = Json(await served.Local("fold-in", Job, "--item", $"{model.ItemIds[0]}:2", "-n", "2", "--titles", titles, "--json"));
        Assert.All(folded.RootElement.GetProperty("items").EnumerateArray(), i => Assert.StartsWith("Caf\u00e9", i.GetProperty("title").GetString()));
        // JSON keeps accented text as it is, not as \u escapes.
        var raw = (await served.Local("recommend", Job, "--new-user", "-n", "2", "--titles", titles, "--json")).Succeeded();
        Assert.Contains("Caf\u00e9 n\u00b0", raw.Out);
        Assert.DoesNotContain("\\u00E9", raw.Out);
        // Without --titles the JSON has no title at all.
        using var plain = Json(await served.Local("recommend", Job, "--new-user", "-n", "1", "--json"));
        Assert.False(plain.RootElement.GetProperty("items")[0].TryGetProperty("title", out _));

        var bad = served.Scratch.Write("bad.item", "1|Toy Story (1995)|x\nno bar here\n1|Again|y\n");
        var refused = await served.Local("recommend", Job, "--new-user", "--titles", bad);
        Assert.Equal(ExitCodes.BadData, refused.ExitCode);
        Assert.Contains($"{bad}:2: ", refused.Error);
        Assert.Contains($"{bad}:3: item '1' already has a title on line 1", refused.Error);
    }

    [Fact]
    public async Task Bad_counts_are_refused_before_any_model_is_asked()
    {
        Assert.Equal(ExitCodes.BadOption, (await served.OnCluster("fold-in", Job, "--item", "no-count")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await served.OnCluster("fold-in", Job, "--item", "i1:-2")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await served.OnCluster("fold-in", Job)).ExitCode);
        var file = served.Scratch.Write("bad-counts.tsv", "i1\t2\ni2\tmany\ni3\t1\textra\n");
        var refused = await served.OnCluster("fold-in", Job, "--counts", file);
        Assert.Equal(ExitCodes.BadData, refused.ExitCode);
        Assert.Contains($"{file}:2: count 'many' is not a finite number ≥ 0", refused.Error);
        Assert.Contains($"{file}:3: expected 2 fields (item, count), found 3", refused.Error);
        Assert.Equal(ExitCodes.BadOption, (await served.Local("fold-in", Job, "--counts", file, "--item", "i1:1")).ExitCode);
        Assert.Equal(ExitCodes.BadData, (await served.Local("add-user", Job, "--user", "z", "--item", "i1:0")).ExitCode);
    }

    private static JsonDocument Json(CliRun run) => JsonDocument.Parse(run.Succeeded().Out);

    private static IEnumerable<string> Items(JsonDocument json) =>
        json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!);

    private static float[] Floats(JsonDocument json, string property) =>
        [.. json.RootElement.GetProperty(property).EnumerateArray().Select(e => e.GetSingle())];

    /// <summary>The same items in the same order, with scores equal to float precision (both rank in float32).</summary>
    private static void AssertSameItems(JsonDocument local, JsonDocument remote)
    {
        Assert.Equal(Items(local), Items(remote));
        var a = local.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble()).ToList();
        var b = remote.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble()).ToList();
        for (var n = 0; n < a.Count; n++) Assert.Equal(a[n], b[n], 1e-5 * Math.Abs(a[n]));
    }
}
