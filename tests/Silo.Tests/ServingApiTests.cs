using System.Net;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// The serving endpoints of a silo hosted in the test process, over a job trained through the API: each answer against
/// the downloaded model, and each refusal with its own status and title.
/// </summary>
public sealed class ServingApiTests : IAsyncLifetime
{
    private const string Job = "served";
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 80, Items = 60, Factors = 3, Seed = 21 });
    private static readonly DatasetSplit Split = DatasetSplit.ByFraction(Sample.Data, 0.2, seed: 4);
    private static readonly TrainingOptions Training = new() { Factors = 3, MaxIterations = 8, Stop = StopRule.MaxIter, CheckEvery = 4, Seed = 2, Threads = 1 };

    private ApiSilo _silo = null!;
    private HpfModel _model = null!;

    public async Task InitializeAsync()
    {
        _silo = await ApiSilo.StartAsync();
        await TrainAsync(Job, new JobSpec { Training = Training, UserShards = 2, ItemShards = 2 });
        using var download = await _silo.Client.GetAsync($"api/jobs/{Job}/model", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        _model = await ModelDownloadFormat.ReadAsync(await download.Content.ReadAsStreamAsync(), Training, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Recommendations_are_the_models_ranking_without_seen_items_unless_asked_and_within_a_pool()
    {
        var u = 5;
        var user = Split.Train.UserIds[u];
        var seen = Split.Train.ByUser.OthersOf(u).ToArray().Select(i => Split.Train.ItemIds[i]).ToHashSet();

        var served = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = user, N = 7 });
        Assert.Equal(Job, served.Job);
        Assert.Equal(user, served.User);
        Assert.False(served.FromCheckpoint);
        Assert.Equal(Training.MaxIterations, served.ServedIteration);
        Assert.Equal(Ranking(user, 7, item => !seen.Contains(item)), served.Items.Select(r => r.Item));

        var withSeen = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = user, N = 7, IncludeSeen = true });
        Assert.Equal(Ranking(user, 7, _ => true), withSeen.Items.Select(r => r.Item));

        string[] pool = [.. Split.Train.ItemIds.Where((_, i) => i % 4 == 0), "not-an-item"];
        var pooled = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = user, N = 3, Pool = pool });
        Assert.Equal(Ranking(user, 3, item => pool.Contains(item) && !seen.Contains(item)), pooled.Items.Select(r => r.Item));

        // The JSON says where the model came from, in the API's words.
        using var raw = await PostAsync("recommendations", new RecommendRequest { User = user, N = 1 });
        using var json = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        Assert.False(json.RootElement.GetProperty("fromCheckpoint").GetBoolean());
        Assert.Equal(Training.MaxIterations, json.RootElement.GetProperty("servedIteration").GetInt32());
    }

    [Fact]
    public async Task Cold_start_ranks_by_the_items_expected_factors_summed()
    {
        var cold = await OkAsync<RecommendationList>("cold-start", new ColdStartRequest { N = 5 });
        Assert.Null(cold.User);
        var expected = Enumerable.Range(0, _model.Items)
            .Select(i => (Id: _model.ItemIds[i], Score: Beta(i).Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(5).Select(x => x.Id);
        Assert.Equal(expected, cold.Items.Select(r => r.Item));
    }

    [Fact]
    public async Task Predictions_of_many_pairs_in_one_call_are_the_models_expected_counts_in_order()
    {
        var pairs = new[] { (Split.Train.UserIds[0], Split.Train.ItemIds[3]), (Split.Train.UserIds[9], Split.Train.ItemIds[0]), (Split.Train.UserIds[0], Split.Train.ItemIds[1]) };
        var predicted = await OkAsync<PredictionList>("predictions", new PredictRequest { Pairs = [.. pairs.Select(p => new PredictionPair(p.Item1, p.Item2))] });
        Assert.Equal(pairs.Length, predicted.Predictions.Length);
        for (var p = 0; p < pairs.Length; p++)
        {
            Assert.Equal(pairs[p].Item1, predicted.Predictions[p].User);
            Assert.Equal(pairs[p].Item2, predicted.Predictions[p].Item);
            var expected = _model.Predict(_model.IndexOfUser(pairs[p].Item1), _model.IndexOfItem(pairs[p].Item2));
            Assert.Equal(expected, predicted.Predictions[p].Score, 1e-6 * expected);
        }
    }

    [Fact]
    public async Task Fold_in_returns_factors_and_recommendations_and_add_user_serves_the_user_afterwards()
    {
        var counts = new[] { new ItemCount(Split.Train.ItemIds[0], 4), new ItemCount(Split.Train.ItemIds[2], 1), new ItemCount("not-an-item", 2) };
        var folded = await OkAsync<FoldInResult>("fold-in", new FoldInRequest { User = "newcomer", Counts = counts, N = 4 });
        Assert.Equal(Training.Factors, folded.Theta.Length);
        Assert.All(folded.Theta, t => Assert.True(t > 0 && float.IsFinite(t)));
        Assert.Equal(["not-an-item"], folded.UnknownItems);
        Assert.Equal(4, folded.Items.Length);
        Assert.DoesNotContain(folded.Items, r => counts.Any(c => c.Item == r.Item));
        // Its recommendations are the ranking of its θ.
        var byTheta = Enumerable.Range(0, _model.Items)
            .Where(i => counts.All(c => c.Item != _model.ItemIds[i]))
            .Select(i => (Id: _model.ItemIds[i], Score: TensorPrimitives.Dot(folded.Theta, Beta(i))))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(4).Select(x => x.Id);
        Assert.Equal(byTheta, folded.Items.Select(r => r.Item));

        var added = await OkAsync<FoldInResult>("users", new AddUserRequest { User = "newcomer", Counts = counts });
        Assert.Equal(folded.Theta, added.Theta);
        var recommended = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = "newcomer", N = 4 });
        Assert.Equal(folded.Items.Select(r => r.Item), recommended.Items.Select(r => r.Item));

        var again = await ProblemAsync("users", new AddUserRequest { User = "newcomer", Counts = counts }, HttpStatusCode.Conflict, ServingProblems.UserExists);
        Assert.Contains("updateExisting", again.GetProperty("detail").GetString());
        var trained = await ProblemAsync("users", new AddUserRequest { User = Split.Train.UserIds[0], Counts = counts }, HttpStatusCode.Conflict, ServingProblems.UserExists);
        Assert.Equal(Split.Train.UserIds[0], trained.GetProperty("user").GetString());
        var replaced = await OkAsync<FoldInResult>("users", new AddUserRequest { User = "newcomer", Counts = [new ItemCount(Split.Train.ItemIds[5], 9)], UpdateExisting = true });
        Assert.NotEqual(added.Theta, replaced.Theta);
        var predicted = await OkAsync<PredictionList>("predictions", new PredictRequest { Pairs = [new PredictionPair("newcomer", Split.Train.ItemIds[1])] });
        Assert.Equal(TensorPrimitives.Dot(replaced.Theta, Beta(_model.IndexOfItem(Split.Train.ItemIds[1]))), predicted.Predictions[0].Score, 1e-5);
    }

    [Fact]
    public async Task Evaluation_of_an_uploaded_test_file_is_the_engines_evaluation_of_the_model()
    {
        var test = new StringWriter();
        Split.Test.WriteTsv(test);
        using var response = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?k=5&source=test.tsv", new StringContent(test.ToString()));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var served = (await response.Content.ReadFromJsonAsync<ClusterEvaluation>(ClientApiJson.Options))!;
        var engine = ModelEvaluator.Evaluate(_model, Split.Train, Split.Test, k: 5, threads: 1);
        Assert.Equal(engine.HeldOutLogLikelihood, served.HeldOutLogLikelihood, 1e-6);
        Assert.Equal(engine.PrecisionAtK, served.PrecisionAtK, 1e-9);
        Assert.Equal(engine.RecallAtK, served.RecallAtK, 1e-9);
        Assert.Equal(engine.NdcgAtK, served.NdcgAtK, 1e-9);
        Assert.Equal(engine.UsersEvaluated, served.UsersEvaluated);
        Assert.Equal(engine.TestNonzeros, served.TestNonzeros);
        Assert.Equal(5, served.K);

        using var bad = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?source=held.tsv&format=tsv", new StringContent("u1\ti1\t2\nu2\ti2\tlots\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await Problem(bad);
        Assert.Equal(1, problem.GetProperty("totalErrors").GetInt64());
        Assert.StartsWith("held.tsv:2: ", problem.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
        using var zeros = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?source=zeros.tsv", new StringContent("u1\ti1\t0\n"));
        Assert.Contains("nothing to evaluate", (await Problem(zeros)).GetProperty("errors")[0].GetString());
        using var badK = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?k=0", new StringContent(test.ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, badK.StatusCode);
        using var nowhere = await _silo.Client.PostAsync("api/jobs/ghost/evaluation", new StringContent(test.ToString()));
        Assert.Equal(ServingProblems.JobNotFound, (await Problem(nowhere, HttpStatusCode.NotFound)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_header_line_is_skipped_when_the_query_says_so_and_named_when_it_does_not()
    {
        var test = new StringWriter();
        test.Write("user\titem\tplays\n");
        Split.Test.WriteTsv(test);
        using var refused = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?k=5&source=headed.tsv", new StringContent(test.ToString()));
        var error = (await Problem(refused)).GetProperty("errors")[0].GetString()!;
        Assert.StartsWith("headed.tsv:1: count 'plays' is not a number", error, StringComparison.Ordinal);
        Assert.Contains("header=true", error, StringComparison.Ordinal);

        using var response = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?k=5&source=headed.tsv&header=true", new StringContent(test.ToString()));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var served = (await response.Content.ReadFromJsonAsync<ClusterEvaluation>(ClientApiJson.Options))!;
        Assert.Equal(ModelEvaluator.Evaluate(_model, Split.Train, Split.Test, k: 5, threads: 1).TestNonzeros, served.TestNonzeros);
    }

    [Fact]
    public async Task An_unknown_user_item_or_job_is_404_each_with_its_own_title()
    {
        var user = await ProblemAsync("recommendations", new RecommendRequest { User = "nobody" }, HttpStatusCode.NotFound, ServingProblems.UnknownUser);
        Assert.Equal("nobody", user.GetProperty("user").GetString());
        Assert.Contains("no user 'nobody'", user.GetProperty("detail").GetString());
        var item = await ProblemAsync("predictions", new PredictRequest { Pairs = [new PredictionPair(Split.Train.UserIds[0], "nothing")] }, HttpStatusCode.NotFound, ServingProblems.UnknownItem);
        Assert.Equal("nothing", item.GetProperty("item").GetString());
        await ProblemAsync("predictions", new PredictRequest { Pairs = [new PredictionPair("nobody", Split.Train.ItemIds[0])] }, HttpStatusCode.NotFound, ServingProblems.UnknownUser);
        foreach (var (path, body) in new (string, object)[]
        {
            ("recommendations", new RecommendRequest { User = "u1" }), ("cold-start", new ColdStartRequest()),
            ("predictions", new PredictRequest { Pairs = [new PredictionPair("u1", "i1")] }),
            ("fold-in", new FoldInRequest { Counts = [new ItemCount("i1", 1)] }), ("users", new AddUserRequest { User = "u", Counts = [new ItemCount("i1", 1)] }),
        })
        {
            var job = await ProblemAsync(path, body, HttpStatusCode.NotFound, ServingProblems.JobNotFound, job: "ghost");
            Assert.Equal("job 'ghost' not found", job.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("recommendations", """{"user": "u1", "n": 0}""", "\"n\" must lie in [1, 10000], got 0")]
    [InlineData("recommendations", """{"n": 3}""", "\"user\" is missing")]
    [InlineData("recommendations", """{"user": "u1", "pool": []}""", "\"pool\" is empty")]
    [InlineData("recommendations", """{"user": "u1", "includeSeenItems": true}""", "'includeSeenItems' could not be mapped")]
    [InlineData("cold-start", """{"n": 20000}""", "\"n\" must lie in [1, 10000], got 20000")]
    [InlineData("predictions", """{"pairs": []}""", "\"pairs\" is missing or empty")]
    [InlineData("predictions", """{"pairs": [{"user": "u1"}]}""", "pair 0 needs a user and an item")]
    [InlineData("fold-in", """{"counts": [{"item": "i1", "count": -1}]}""", "the count of item 'i1' is -1")]
    [InlineData("fold-in", """{"counts": [{"item": "i1", "count": 0}]}""", "every count is zero")]
    [InlineData("fold-in", """{"n": 3}""", "\"counts\" is missing or empty")]
    [InlineData("users", """{"counts": [{"item": "i1", "count": 2}]}""", "\"user\" is missing")]
    [InlineData("users", """{"user": "x", "counts": [{"count": 2}]}""", "count 0 needs an item")]
    [InlineData("recommendations", """{"user": "u1", "n": "ten"}""", "a JSON value at $.n could not be converted")]
    [InlineData("recommendations", """{"user": "u1", """, "not well-formed JSON")]
    public async Task Bad_input_is_400_with_a_message_that_names_what_is_wrong(string path, string body, string message)
    {
        using var response = await _silo.Client.PostAsync($"api/jobs/{Job}/{path}", new StringContent(body, Encoding.UTF8, "application/json"));
        var detail = (await Problem(response, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
        Assert.Contains(message, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Hpf.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_value_of_the_wrong_kind_is_named_in_plain_words()
    {
        using var response = await _silo.Client.PostAsync($"api/jobs/{Job}/evaluation?k=many", new StringContent("u1\ti1\t1\n"));
        var detail = (await Problem(response, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
        Assert.Equal("parameter 'k' needs a whole number, got 'many'", detail);
    }

    [Fact]
    public async Task Json_keeps_accented_ids_readable()
    {
        using var response = await _silo.Client.GetAsync("api/jobs/caf\u00e9-missing");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("caf\u00e9-missing", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00E9", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_without_a_servable_model_is_409_saying_why_and_a_training_job_serves_its_last_checkpoint()
    {
        // Created, and loading (data uploaded, not started).
        await CreateAsync("empty", new JobSpec { Training = Training });
        var created = await ProblemAsync("cold-start", new ColdStartRequest(), HttpStatusCode.Conflict, ServingProblems.ModelNotServable, job: "empty");
        Assert.Equal("created", created.GetProperty("state").GetString());
        await UploadAsync("empty");
        var loading = await ProblemAsync("cold-start", new ColdStartRequest(), HttpStatusCode.Conflict, ServingProblems.ModelNotServable, job: "empty");
        Assert.Equal("loading", loading.GetProperty("state").GetString());
        Assert.Contains("is loading", loading.GetProperty("detail").GetString());

        // Training without a checkpoint yet, then cancelled.
        var endless = Training with { MaxIterations = 1_000_000 };
        await TrainAsync("early", new JobSpec { Training = endless, UserShards = 1, ItemShards = 1, CheckpointEvery = 500_000 }, wait: false);
        var early = await ProblemAsync("recommendations", new RecommendRequest { User = Split.Train.UserIds[0] }, HttpStatusCode.Conflict, ServingProblems.ModelNotServable, job: "early");
        Assert.Equal("training", early.GetProperty("state").GetString());
        Assert.Contains("first checkpoint", early.GetProperty("detail").GetString());
        using (var cancel = await _silo.Client.PostAsync("api/jobs/early/cancel", null)) Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var cancelled = await ProblemAsync("recommendations", new RecommendRequest { User = Split.Train.UserIds[0] }, HttpStatusCode.Conflict, ServingProblems.ModelNotServable, job: "early");
        Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        Assert.Contains("cancelled", cancelled.GetProperty("detail").GetString());

        // Training with checkpoints: served from the last one, and said so; fold-in needs the finished model.
        await TrainAsync("training", new JobSpec { Training = endless, UserShards = 1, ItemShards = 1, CheckpointEvery = 3 }, wait: false);
        await WaitAsync("training", s => s.LastCheckpoint >= 3);
        var fromCheckpoint = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = Split.Train.UserIds[0], N = 3 }, job: "training");
        Assert.True(fromCheckpoint.FromCheckpoint);
        Assert.True(fromCheckpoint.ServedIteration >= 3 && fromCheckpoint.ServedIteration % 3 == 0, $"served iteration {fromCheckpoint.ServedIteration}");
        Assert.Equal(3, fromCheckpoint.Items.Length);
        var evaluation = new StringWriter();
        Split.Test.WriteTsv(evaluation);
        using (var evaluated = await _silo.Client.PostAsync("api/jobs/training/evaluation?k=3", new StringContent(evaluation.ToString())))
        {
            Assert.True((await evaluated.Content.ReadFromJsonAsync<ClusterEvaluation>(ClientApiJson.Options))!.FromCheckpoint);
        }
        var foldIn = await ProblemAsync("fold-in", new FoldInRequest { Counts = [new ItemCount(Split.Train.ItemIds[0], 1)] }, HttpStatusCode.Conflict, ServingProblems.ModelNotServable, job: "training");
        Assert.Contains("still training", foldIn.GetProperty("detail").GetString());
        using (var cancel = await _silo.Client.PostAsync("api/jobs/training/cancel", null)) Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
    }

    [Fact]
    public async Task A_partial_fit_serves_its_new_users_afterwards_and_refuses_bad_lines_and_unknown_jobs()
    {
        // A job of its own: the pass moves item parameters, which the other tests compare with the downloaded model.
        await TrainAsync("growing", new JobSpec { Training = Training, UserShards = 2, ItemShards = 2 });
        var items = Split.Train.ItemIds;
        var body = $"late-1\t{items[0]}\t4\nlate-1\t{items[3]}\t1\nlate-2\t{items[1]}\t2\nlate-2\tnot-an-item\t5\n";
        using var fitted = await _silo.Client.PostAsync("api/jobs/growing/partial-fit?usersPerBatch=1&source=late.tsv", new StringContent(body));
        Assert.True(fitted.StatusCode == HttpStatusCode.OK, await fitted.Content.ReadAsStringAsync());
        var result = (await fitted.Content.ReadFromJsonAsync<PartialFitResult>(ClientApiJson.Options))!;
        Assert.Equal(2, result.Users);
        Assert.Equal(2, result.NewUsers);
        Assert.Equal(2, result.Batches);
        Assert.Equal(["not-an-item"], result.UnknownItems);
        Assert.Equal(result.StepFrom + 2, result.StepTo);

        var served = await OkAsync<RecommendationList>("recommendations", new RecommendRequest { User = "late-1", N = 3 }, job: "growing");
        Assert.Equal(3, served.Items.Length);
        Assert.DoesNotContain(served.Items, r => r.Item == items[0] || r.Item == items[3]);

        using var bad = await _silo.Client.PostAsync("api/jobs/growing/partial-fit?source=late.tsv", new StringContent($"late-3\t{items[0]}\t1\nlate-3\tx\tmany\n"));
        var refused = await Problem(bad, HttpStatusCode.BadRequest);
        Assert.Equal("late.tsv:2: count 'many' is not a number", refused.GetProperty("errors")[0].GetString());
        using var ghost = await _silo.Client.PostAsync("api/jobs/ghost/partial-fit", new StringContent(body));
        Assert.Equal(ServingProblems.JobNotFound, (await Problem(ghost, HttpStatusCode.NotFound)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_serving_endpoints_need_the_key_and_are_in_the_OpenAPI_document()
    {
        using var none = await _silo.Anonymous.PostAsJsonAsync($"api/jobs/{Job}/recommendations", new RecommendRequest { User = "u1" }, ClientApiJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var evaluation = await _silo.Anonymous.PostAsync($"api/jobs/{Job}/evaluation", new StringContent("u\ti\t1\n"));
        Assert.Equal(HttpStatusCode.Unauthorized, evaluation.StatusCode);

        using var response = await _silo.Anonymous.GetAsync("openapi/v1.json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "recommendations", "cold-start", "predictions", "fold-in", "users", "evaluation", "partial-fit" })
        {
            var operation = paths.GetProperty($"/api/jobs/{{job}}/{path}").GetProperty("post");
            var responses = operation.GetProperty("responses");
            Assert.True(responses.TryGetProperty("200", out _), path);
            Assert.True(responses.TryGetProperty("404", out _), path);
            Assert.True(responses.TryGetProperty("409", out _), path);
        }
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("RecommendationList").GetProperty("properties").TryGetProperty("fromCheckpoint", out _));
        Assert.True(schemas.GetProperty("RecommendRequest").GetProperty("properties").TryGetProperty("includeSeen", out _));
    }

    private IEnumerable<string> Ranking(string user, int count, Func<string, bool> eligible)
    {
        var theta = new float[_model.Factors];
        _model.UserFactors(_model.IndexOfUser(user), theta);
        return Enumerable.Range(0, _model.Items)
            .Where(i => eligible(_model.ItemIds[i]))
            .Select(i => (Id: _model.ItemIds[i], Score: TensorPrimitives.Dot(theta, Beta(i))))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal)
            .Take(count).Select(x => x.Id).ToList();
    }

    private float[] Beta(int item)
    {
        var beta = new float[_model.Factors];
        _model.ItemFactors(item, beta);
        return beta;
    }

    private Task<HttpResponseMessage> PostAsync(string path, object body, string job = Job) =>
        _silo.Client.PostAsync($"api/jobs/{job}/{path}", JsonContent.Create(body, body.GetType(), options: ClientApiJson.Options));

    private async Task<T> OkAsync<T>(string path, object body, string job = Job)
    {
        using var response = await PostAsync(path, body, job);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(ClientApiJson.Options))!;
    }

    private async Task<JsonElement> ProblemAsync(string path, object body, HttpStatusCode status, string title, string job = Job)
    {
        using var response = await PostAsync(path, body, job);
        var problem = await Problem(response, status);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        return problem;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode? status = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (status is { } expected) Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private async Task CreateAsync(string name, JobSpec spec)
    {
        using var response = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = name, Spec = spec }, ClientApiJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task UploadAsync(string name)
    {
        var text = new StringWriter();
        Split.Train.WriteTsv(text);
        using var upload = await _silo.Client.PutAsync($"api/jobs/{name}/data?set=training&source=train.tsv", new StringContent(text.ToString()));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
    }

    private async Task TrainAsync(string name, JobSpec spec, bool wait = true)
    {
        await CreateAsync(name, spec);
        await UploadAsync(name);
        using var start = await _silo.Client.PostAsync($"api/jobs/{name}/start", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        if (wait) Assert.Equal(JobState.Completed, (await WaitAsync(name, s => s.IsFinished)).State);
        else await WaitAsync(name, s => s.State != JobState.Loading);
    }

    private async Task<JobStatus> WaitAsync(string name, Func<JobStatus, bool> until)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = (await _silo.Client.GetFromJsonAsync<JobStatus>($"api/jobs/{name}", ClientApiJson.Options))!;
            if (until(status)) return status;
            Assert.True(DateTime.UtcNow < deadline, $"job '{name}' still {status.State} at iteration {status.Iteration}");
            await Task.Delay(25);
        }
    }
}
