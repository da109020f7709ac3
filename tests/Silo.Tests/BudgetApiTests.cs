using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>The HTTP API's job request takes the budget model and its item → group map, and its recommend requests the group rankings, as docs/api.md writes them.</summary>
public sealed class BudgetApiTests : IAsyncLifetime
{
    private ApiSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_budget_job_is_created_with_its_groups_and_refused_without_them()
    {
        using var created = await PostAsync("""
            {"name": "plays", "spec": {"training": {"model": "budget", "members": 1, "factors": 3},
             "groups": {"items": ["song-1", "song-2"], "groups": ["artist-a", "artist-a"]}}}
            """);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        using var status = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var spec = status.RootElement.GetProperty("spec");
        Assert.Equal("budget", spec.GetProperty("training").GetProperty("model").GetString());
        Assert.Equal("artist-a", spec.GetProperty("groups").GetProperty("groups")[1].GetString());

        using var refused = await PostAsync("""{"name": "nogroups", "spec": {"training": {"model": "budget", "members": 1}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("--groups", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_download_carries_the_groups_and_recommendations_within_a_group_and_of_the_groups_are_the_downloaded_models()
    {
        var sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions { Users = 60, Items = 48, Groups = 6, Factors = 2, Seed = 9 });
        var training = new TrainingOptions { Factors = 2, Members = 1, Model = ModelKind.Budget, MaxIterations = 5, Stop = StopRule.MaxIter, CheckEvery = 5, Seed = 1, Threads = 1 };
        var spec = new JobSpec { Training = training, UserShards = 2, ItemShards = 2, Groups = sample.Groups.ToTable() };
        using (var create = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = "plays", Spec = spec }, ClientApiJson.Options))
            Assert.True(create.StatusCode == HttpStatusCode.Created, await create.Content.ReadAsStringAsync());
        var data = new StringWriter();
        sample.Data.WriteTsv(data);
        using (var upload = await _silo.Client.PutAsync("api/jobs/plays/data?set=training&source=plays.tsv", new StringContent(data.ToString())))
            Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        using (var start = await _silo.Client.PostAsync("api/jobs/plays/start", null)) Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        JobStatus status;
        while (!(status = (await _silo.Client.GetFromJsonAsync<JobStatus>("api/jobs/plays", ClientApiJson.Options))!).IsFinished)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {status.State}");
            await Task.Delay(25);
        }
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        using var download = await _silo.Client.GetAsync("api/jobs/plays/model", HttpCompletionOption.ResponseHeadersRead);
        // The download carries the job's groups: each item's as the map it was created with gives it.
        var model = await ModelDownloadFormat.ReadAsync(await download.Content.ReadAsStreamAsync(), training, CancellationToken.None);
        var groups = model.Groups!;
        var mapped = sample.Groups.Dense(model.ItemIds);
        Assert.Equal(mapped.GroupIds, groups.GroupIds);
        Assert.Equal(mapped.ItemGroup, groups.ItemGroup);
        var k = model.Factors;
        var beta = model.ItemFactorMatrix();
        var x = new float[k];
        model.UserFactors(model.IndexOfUser("u3"), x);

        using var inGroup = await Recommend("""{"user": "u3", "n": 50, "includeSeen": true, "group": "g2"}""");
        var items = (await inGroup.Content.ReadFromJsonAsync<RecommendationList>(ClientApiJson.Options))!.Items.Select(r => r.Item);
        var expectedItems = Enumerable.Range(0, model.Items).Where(i => groups.GroupIds[groups.ItemGroup[i]] == "g2")
            .Select(i => (Id: model.ItemIds[i], Score: System.Numerics.Tensors.TensorPrimitives.Dot(x, beta.AsSpan(i * k, k))))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Id, StringComparer.Ordinal).Select(p => p.Id);
        Assert.Equal(expectedItems, items);

        using var ranked = await Recommend("""{"user": "u3", "n": 10, "groupsOnly": true}""");
        var served = (await ranked.Content.ReadFromJsonAsync<GroupRankingList>(ClientApiJson.Options))!;
        var sums = new double[groups.Groups * k];
        GroupTables.GroupSums(beta, groups.ItemGroup, k, sums);
        var expectedGroups = Enumerable.Range(0, groups.Groups).Select(g => (Id: groups.GroupIds[g], Score: GroupTables.Dot(x, sums.AsSpan(g * k, k))))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Id, StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedGroups.Select(g => g.Id), served.Groups.Select(g => g.Group));
        for (var g = 0; g < expectedGroups.Length; g++) Assert.Equal(expectedGroups[g].Score, served.Groups[g].Score, 1e-9 * expectedGroups[g].Score);

        using var cold = await _silo.Client.PostAsync("api/jobs/plays/cold-start", new StringContent("""{"n": 3, "groupsOnly": true}""", Encoding.UTF8, "application/json"));
        Assert.Equal(3, (await cold.Content.ReadFromJsonAsync<GroupRankingList>(ClientApiJson.Options))!.Groups.Length);

        using var unknown = await Recommend("""{"user": "u3", "group": "no-such-group"}""", HttpStatusCode.NotFound);
        using (var problem = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()))
        {
            Assert.Equal(ServingProblems.UnknownGroup, problem.RootElement.GetProperty("title").GetString());
            Assert.Equal("no-such-group", problem.RootElement.GetProperty("group").GetString());
        }
        using var both = await Recommend("""{"user": "u3", "group": "g2", "groupsOnly": true}""", HttpStatusCode.BadRequest);
        Assert.Contains("exclude each other", await both.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> Recommend(string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await _silo.Client.PostAsync("api/jobs/plays/recommendations", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _silo.Client.PostAsync("api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
}
