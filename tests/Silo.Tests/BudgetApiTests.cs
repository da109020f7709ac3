using System.Net;
using System.Text;
using System.Text.Json;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>The HTTP API's job request takes the budget model and its item → group map, as docs/api.md writes them.</summary>
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

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _silo.Client.PostAsync("api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
}
