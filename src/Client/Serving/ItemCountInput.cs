using System.Globalization;
using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A user's item counts as fold-in and add-user take them: <c>--item ID:COUNT</c> on the command line, or a file of
/// <c>item&lt;TAB&gt;count</c> lines (or <c>item,count</c> when a line has no tab). A header is allowed on line 1 when
/// its count is not a number; blank lines are skipped. Bad lines are reported as the data readers report theirs
/// (<c>file:line: reason</c>, the whole file refused).
/// </summary>
internal static class ItemCountInput
{
    /// <exception cref="CommandException">An <c>--item</c> is not ID:COUNT with a count ≥ 0, or neither a file nor an item was given.</exception>
    /// <exception cref="DataFormatException">The file has bad lines.</exception>
    public static List<ItemCount> Read(string? file, string[] items)
    {
        if (file is null && items.Length == 0)
            throw new CommandException(ExitCodes.BadOption, "give the user's counts with --counts FILE or --item ID:COUNT");
        if (file is not null && items.Length > 0)
            throw new CommandException(ExitCodes.BadOption, "--counts and --item exclude each other: give the counts one way");
        var counts = file is null ? items.Select(Parse).ToList() : ReadFile(file);
        if (counts.All(c => c.Count == 0))
            throw new CommandException(ExitCodes.BadData, $"every count{(file is null ? "" : $" in {file}")} is zero: there is nothing to fold in");
        return counts;
    }

    private static ItemCount Parse(string text)
    {
        // Item ids may hold ':' themselves: the count follows the last one.
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new CommandException(ExitCodes.BadOption, $"--item '{text}' is not ID:COUNT (for example --item song42:3)");
        if (CountOf(text[(colon + 1)..]) is not { } count)
            throw new CommandException(ExitCodes.BadOption, $"--item '{text}': the count '{text[(colon + 1)..]}' must be a finite number ≥ 0");
        return new ItemCount(text[..colon], count);
    }

    private static List<ItemCount> ReadFile(string path)
    {
        var counts = new List<ItemCount>();
        var errors = new List<DataFormatError>();
        long total = 0, line = 0;
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = text.Contains('\t') ? text.Split('\t') : text.Split(',');
            (string Field, string Reason)? problem = null;
            if (fields.Length != 2) problem = ("line", $"expected 2 fields (item, count), found {fields.Length}");
            else if (fields[0].Trim().Length == 0) problem = ("item", "the item id is empty");
            else if (CountOf(fields[1]) is { } count) counts.Add(new ItemCount(fields[0].Trim(), count));
            else if (line > 1 || counts.Count > 0) problem = ("count", $"count '{fields[1].Trim()}' is not a finite number ≥ 0");
            // else: line 1 with a count field that is a name: a header.
            if (problem is not { } bad) continue;
            total++;
            if (errors.Count < DataFormatException.MaxListed) errors.Add(new DataFormatError(path, line, bad.Field, bad.Reason));
        }
        if (total > 0) throw new DataFormatException(errors, total);
        if (counts.Count == 0) throw new DataFormatException([new DataFormatError(path, 0, "line", "the file has no item counts")], 1);
        return counts;
    }

    private static double? CountOf(string text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var count) && double.IsFinite(count) && count >= 0 && count <= float.MaxValue
            ? count : null;
}
