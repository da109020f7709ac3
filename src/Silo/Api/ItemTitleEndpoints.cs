using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// <c>/api/jobs/{job}/titles</c>: a job's item titles, uploaded as an <c>id&lt;TAB&gt;title</c> file or a MovieLens
/// <c>u.item</c> (<c>id|title|…</c>), as the console's <c>--titles</c> reads them, and looked up by id, for the jobs page's recommendation explorer.
/// </summary>
internal static class ItemTitleEndpoints
{
    private static readonly (string Word, Encoding Value)[] Encodings = [("latin1", Encoding.Latin1), ("utf-8", new UTF8Encoding(false, true))];

    public static RouteGroupBuilder MapItemTitleEndpoints(this RouteGroupBuilder api)
    {
        var titles = api.MapGroup("/jobs/{job}/titles").WithTags("titles");
        titles.MapPut("", ReplaceAsync)
            .WithName("UploadItemTitles")
            .WithSummary("Give a job item titles from an id<TAB>title file or an id|title|… file (MovieLens u.item), replacing any it had")
            .WithDescription("encoding=latin1 or utf-8; by default utf-8 for an id<TAB>title file and latin1 (u.item's own) otherwise. A file with a bad line is refused whole: 400 with errors and totalErrors.")
            .Accepts<Stream>("application/octet-stream", "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        titles.MapGet("", LookupAsync)
            .WithName("GetItemTitles")
            .WithSummary("How many titles the job has, and the titles of the items asked for (item=ID, repeated)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<ItemTitleList>, ProblemHttpResult>> ReplaceAsync(
        string job, string? encoding, string? source, Stream body, IGrainFactory grains, CancellationToken cancellationToken)
    {
        Encoding? named = null;
        if (encoding is not null && QueryWords.TryParse(Encodings, encoding, out var word)) named = word;
        else if (encoding is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad encoding",
                detail: $"encoding '{encoding}' is not one of {string.Join(", ", Encodings.Select(e => e.Word))}");
        var (status, problem) = await JobEndpoints.FindAsync(job, grains, cancellationToken);
        if (status is null) return problem!;
        var name = string.IsNullOrWhiteSpace(source) ? "titles" : source;
        Dictionary<string, string> read;
        // Read whole before parsing (Kestrel reads bodies asynchronously only); a titles file is small.
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        buffer.Position = 0;
        try
        {
            using var reader = new StreamReader(buffer, named ?? ItemTitleFile.DefaultEncoding(buffer));
            read = ItemTitleFile.Read(reader, name);
        }
        catch (DataFormatException refused)
        {
            return JobEndpoints.RefusedFile(refused, $"{name}: {refused.TotalErrors} bad line(s); job '{job}' keeps the titles it had");
        }
        catch (DecoderFallbackException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The file was refused",
                detail: $"{name} is not UTF-8 text; send encoding=latin1 for a Latin-1 file such as MovieLens u.item");
        }
        var grain = grains.GetGrain<IItemTitlesGrain>(job);
        await grain.Replace(read, cancellationToken);
        return TypedResults.Ok(new ItemTitleList(job, read.Count, []));
    }

    private static async Task<Results<Ok<ItemTitleList>, ProblemHttpResult>> LookupAsync(
        string job, string[]? item, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (status, problem) = await JobEndpoints.FindAsync(job, grains, cancellationToken);
        if (status is null) return problem!;
        var grain = grains.GetGrain<IItemTitlesGrain>(job);
        var found = item is { Length: > 0 } ? await grain.Lookup(item, cancellationToken) : [];
        return TypedResults.Ok(new ItemTitleList(job, await grain.Count(cancellationToken), found));
    }
}

/// <summary>A job's titles: how many it has, and those asked for (id → title).</summary>
public sealed record ItemTitleList(string Job, int Count, Dictionary<string, string> Titles);
