using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>A job's item titles through the API: uploaded as a u.item-style or id<TAB>title file, looked up by id, refused whole for a bad line, deleted with the job.</summary>
public sealed class ItemTitleApiTests : IAsyncLifetime
{
    private ApiSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Titles_uploaded_in_Latin_1_are_looked_up_by_id_and_go_with_the_job()
    {
        await CreateAsync("titled");
        // MovieLens u.item's own encoding: é is one byte.
        var file = Encoding.Latin1.GetBytes("1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n2|GoldenEye (1995)|\n3|Café au lait (1993)|\n");
        using var upload = await _silo.Client.PutAsync("api/jobs/titled/titles?source=u.item", new ByteArrayContent(file));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        Assert.Equal(3, (await upload.Content.ReadFromJsonAsync<ItemTitleList>(ClientApiJson.Options))!.Count);

        var found = (await _silo.Client.GetFromJsonAsync<ItemTitleList>("api/jobs/titled/titles?item=3&item=1&item=99", ClientApiJson.Options))!;
        Assert.Equal(3, found.Count);
        Assert.Equal(new Dictionary<string, string> { ["1"] = "Toy Story (1995)", ["3"] = "Café au lait (1993)" }, found.Titles);

        // A bad line refuses the file whole, naming file, line and field; the titles stay as they were.
        using var bad = await _silo.Client.PutAsync("api/jobs/titled/titles?source=u.item", new StringContent("4|Heat (1995)|\nno bar here\n|empty id|\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync());
        Assert.Equal(2, problem.RootElement.GetProperty("totalErrors").GetInt32());
        Assert.Contains("u.item:2", problem.RootElement.GetProperty("errors")[0].GetString());
        Assert.Equal(3, (await _silo.Client.GetFromJsonAsync<ItemTitleList>("api/jobs/titled/titles", ClientApiJson.Options))!.Count);
        using var notUtf8 = await _silo.Client.PutAsync("api/jobs/titled/titles?encoding=utf-8", new ByteArrayContent(file));
        Assert.Equal(HttpStatusCode.BadRequest, notUtf8.StatusCode);
        Assert.Contains("encoding=latin1", await notUtf8.Content.ReadAsStringAsync());

        using var deleted = await _silo.Client.DeleteAsync("api/jobs/titled");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await CreateAsync("titled");
        Assert.Equal(0, (await _silo.Client.GetFromJsonAsync<ItemTitleList>("api/jobs/titled/titles?item=1", ClientApiJson.Options))!.Count);

        using var unknown = await _silo.Client.GetAsync("api/jobs/no-such-job/titles");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var anonymous = await _silo.Anonymous.GetAsync("api/jobs/titled/titles");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_tab_separated_titles_file_is_read_as_UTF_8_with_its_header_skipped()
    {
        await CreateAsync("tabbed");
        var file = Encoding.UTF8.GetBytes("item_id\ttitle\n7\tCafé Tacvba – Re\n8\tΣίγουρα\n");
        using var upload = await _silo.Client.PutAsync("api/jobs/tabbed/titles?source=titles.tsv", new ByteArrayContent(file));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        var found = (await _silo.Client.GetFromJsonAsync<ItemTitleList>("api/jobs/tabbed/titles?item=7&item=8", ClientApiJson.Options))!;
        Assert.Equal(2, found.Count);
        Assert.Equal(new Dictionary<string, string> { ["7"] = "Café Tacvba – Re", ["8"] = "Σίγουρα" }, found.Titles);
    }

    private async Task CreateAsync(string name)
    {
        using var created = await _silo.Client.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = name, Spec = new JobSpec() }, ClientApiJson.Options);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }
}
