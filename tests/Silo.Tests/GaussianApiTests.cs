using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>The HTTP API's train request takes the model: a Gaussian job of ratings trains through the grains and is served by them; what only HPF jobs have is refused by name.</summary>
public sealed class GaussianApiTests
{
    [Fact]
    public async Task A_Gaussian_job_with_options_only_HPF_has_is_refused_when_created()
    {
        await using var silo = await ApiSilo.StartAsync();
        foreach (var (training, words) in new[]
        {
            ("""{"model": "gaussian", "userBatchFraction": 0.1}""", "trains full batch"),
            ("""{"model": "gaussian", "transform": "log1p"}""", "fits the ratings as they are"),
            ("""{"model": "gaussian", "stop": "val-llk"}""", "in-process training"),
        })
        {
            using var create = await silo.Client.PostAsync("api/jobs", new StringContent("{\"name\": \"refused\", \"spec\": {\"training\": " + training + "}}", Encoding.UTF8, "application/json"));
            var text = await create.Content.ReadAsStringAsync();
            Assert.True(create.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains(words, text);
        }
    }

    [Fact]
    public async Task A_job_created_with_the_gaussian_model_trains_on_zero_and_negative_ratings_is_served_and_its_HPF_only_answers_are_refused()
    {
        await using var silo = await ApiSilo.StartAsync();
        using (var create = await silo.Client.PostAsync("api/jobs", new StringContent(
            """{"name": "ratings", "spec": {"training": {"model": "gaussian", "factors": 2, "members": 1, "maxIterations": 5, "stop": "maxiter", "checkEvery": 5}, "userShards": 2, "itemShards": 2}}""",
            Encoding.UTF8, "application/json")))
        {
            Assert.True(create.StatusCode == HttpStatusCode.Created, await create.Content.ReadAsStringAsync());
        }
        var lines = new StringBuilder();
        for (var u = 0; u < 30; u++)
        {
            for (var i = 0; i < 20; i++)
            {
                if ((u * 7 + i * 3) % 4 != 0) continue;
                lines.Append(CultureInfo.InvariantCulture, $"u{u}\ti{i}\t{Math.Round(Math.Sin(u + i) * 2, 1)}\n");
            }
        }
        using (var upload = await silo.Client.PutAsync("api/jobs/ratings/data?set=training&source=ratings.tsv", new StringContent(lines.ToString())))
        {
            Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        }
        using (var start = await silo.Client.PostAsync("api/jobs/ratings/start", null)) Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        JobStatus status;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        do
        {
            await Task.Delay(25);
            status = (await silo.Client.GetFromJsonAsync<JobStatus>("api/jobs/ratings", ClientApiJson.Options))!;
            Assert.True(DateTime.UtcNow < deadline, $"still {status.State}");
        }
        while (!status.IsFinished);
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        Assert.Equal(ModelKind.Gaussian, status.Spec.Training.Model);
        Assert.Equal(lines.ToString().Count(c => c == '\n'), status.Data!.Nonzeros);

        // The download is the local store's model file: read back, it predicts what the API predicts.
        GaussianModel model;
        using (var download = await silo.Client.GetAsync("api/jobs/ratings/model"))
        {
            Assert.True(download.StatusCode == HttpStatusCode.OK, await download.Content.ReadAsStringAsync());
            Assert.Equal(GaussianModelDownload.ContentType, download.Content.Headers.ContentType?.MediaType);
            await using var body = await download.Content.ReadAsStreamAsync();
            using var buffered = new MemoryStream();
            await body.CopyToAsync(buffered);
            buffered.Position = 0;
            model = ModelStoreFormat.ReadGaussianModel(buffered, out _);
        }
        Assert.Equal(2, model.Factors);
        Assert.Equal(status.Data!.Users, model.Users.Rows);
        using (var recommend = await silo.Client.PostAsync("api/jobs/ratings/recommendations",
            JsonContent.Create(new RecommendRequest { User = "u0", N = 3 }, options: ClientApiJson.Options)))
        {
            Assert.True(recommend.StatusCode == HttpStatusCode.OK, await recommend.Content.ReadAsStringAsync());
            var list = (await recommend.Content.ReadFromJsonAsync<RecommendationList>(ClientApiJson.Options))!;
            Assert.Equal(3, list.Items.Length);
            Assert.True(list.Items[0].Score >= list.Items[^1].Score);
        }
        using (var predict = await silo.Client.PostAsync("api/jobs/ratings/predictions",
            new StringContent("""{"pairs": [{"user": "u0", "item": "i0"}, {"user": "stranger", "item": "i0"}]}""", Encoding.UTF8, "application/json")))
        {
            var text = await predict.Content.ReadAsStringAsync();
            Assert.True(predict.StatusCode == HttpStatusCode.OK, text);
            using var answer = JsonDocument.Parse(text);
            var predictions = answer.RootElement.GetProperty("predictions");
            var expected = model.Predict(model.IndexOfUser("u0"), model.IndexOfItem("i0"));
            Assert.Equal(expected.Mean, predictions[0].GetProperty("score").GetDouble(), 1e-12);
            Assert.Equal(expected.StandardDeviation, predictions[0].GetProperty("standardDeviation").GetDouble(), 1e-12);
            Assert.Equal(model.Predict(-1, model.IndexOfItem("i0")).Mean, predictions[1].GetProperty("score").GetDouble(), 1e-12);
            Assert.True(predictions[0].GetProperty("standardDeviation").GetDouble() > 0);
            Assert.False(predictions[0].GetProperty("fromPrior").GetBoolean());
            Assert.True(predictions[1].GetProperty("fromPrior").GetBoolean());
        }
        using (var foldIn = await silo.Client.PostAsync("api/jobs/ratings/fold-in",
            new StringContent("""{"counts": [{"item": "i0", "count": 1.5}, {"item": "i3", "count": 0.5}], "n": 2}""", Encoding.UTF8, "application/json")))
        {
            var text = await foldIn.Content.ReadAsStringAsync();
            Assert.True(foldIn.StatusCode == HttpStatusCode.OK, text);
            using var answer = JsonDocument.Parse(text);
            var posterior = model.FoldIn([model.IndexOfItem("i0"), model.IndexOfItem("i3")], [1.5f, 0.5f]);
            var theta = answer.RootElement.GetProperty("theta").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(posterior.Mean.Length, theta.Length);
            for (var j = 0; j < theta.Length; j++) Assert.Equal(posterior.Mean[j], theta[j], 1e-6);
            Assert.True(answer.RootElement.GetProperty("ratings").GetBoolean());
        }
        // Evaluation reads the test set as ratings (a negative one too) and adds the rating errors.
        using (var evaluate = await silo.Client.PostAsync("api/jobs/ratings/evaluation?k=3", new StringContent("u0\ti1\t-1.5\nu3\ti2\t0\nstranger\ti0\t2\n")))
        {
            var text = await evaluate.Content.ReadAsStringAsync();
            Assert.True(evaluate.StatusCode == HttpStatusCode.OK, text);
            using var answer = JsonDocument.Parse(text);
            var errors = answer.RootElement.GetProperty("ratings");
            Assert.Equal(3, errors.GetProperty("ratings").GetInt64());
            Assert.Equal(1, errors.GetProperty("coldStart").GetInt64());
            Assert.True(errors.GetProperty("rmse").GetDouble() > 0);
        }
        // What the cluster does not offer for a Gaussian job is refused in words.
        using var addUser = await silo.Client.PostAsync("api/jobs/ratings/users",
            new StringContent("""{"user": "newcomer", "counts": [{"item": "i0", "count": 1.5}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, addUser.StatusCode);
        using var problem = JsonDocument.Parse(await addUser.Content.ReadAsStringAsync());
        Assert.Contains("Gaussian model of ratings", problem.RootElement.GetProperty("detail").GetString());
    }
}
