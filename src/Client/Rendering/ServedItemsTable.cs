using System.Globalization;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Interfaces;
using Spectre.Console;

namespace Hpf.Cluster.Client.Rendering;

/// <summary>Ranked items as the serving commands print them: a table of rank, item (and its title), score; and the same as JSON rows.</summary>
internal static class ServedItemsTable
{
    public static Table Of(IReadOnlyList<Recommendation> items, ItemTitles? titles)
    {
        var table = new Table().AddColumn(new TableColumn("rank").RightAligned()).AddColumn("item");
        if (titles is not null) table.AddColumn("title");
        table.AddColumn(new TableColumn("score").RightAligned());
        for (var n = 0; n < items.Count; n++)
        {
            var cells = new List<string> { (n + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(items[n].Item) };
            if (titles is not null) cells.Add(Markup.Escape(titles.Of(items[n].Item) ?? ""));
            cells.Add(Score(items[n].Score));
            table.AddRow([.. cells]);
        }
        return table;
    }

    /// <summary>One JSON row per item; the title only when a titles file was given and has the item.</summary>
    public static IEnumerable<RankedItemJson> Json(IEnumerable<Recommendation> items, ItemTitles? titles) =>
        items.Select(r => new RankedItemJson(r.Item, r.Score, titles?.Of(r.Item)));

    /// <summary>A note for a model that is a training job's last checkpoint, null for a finished one.</summary>
    public static string? Origin(string job, int servedIteration, bool fromCheckpoint) =>
        fromCheckpoint ? $"job '{job}' is still training: served from its last checkpoint, at iteration {servedIteration}" : null;

    public static string Score(double score) => score.ToString("G6", CultureInfo.InvariantCulture);
}
