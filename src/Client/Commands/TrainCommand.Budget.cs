using System.CommandLine;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf train --model budget --groups FILE</c>: the user–group budget model (docs/maths.md, "The budget model").</summary>
internal sealed partial class TrainCommand
{
    private readonly Option<string?> _groups = new("--groups") { Description = "the budget model's item → group map: item<TAB>group lines, one per item", HelpName = "FILE" };

    /// <summary>The options checked against the model's needs: the budget model needs --groups, the others refuse it.</summary>
    private TrainingOptions ModelOptions(ParseResult parsed, TrainingOptions options)
    {
        if (options.Model != ModelKind.Budget)
        {
            if (parsed.GetValue(_groups) is not null) throw new CommandException(ExitCodes.BadOption, "--groups is for --model budget; the other models have no groups");
            return options;
        }
        if (parsed.GetValue(_groups) is null) throw new CommandException(ExitCodes.BadOption, "--model budget needs --groups FILE: a file of item<TAB>group lines, one per item");
        return options;
    }

    /// <exception cref="DataFormatException">A line of the groups file is bad.</exception>
    private ItemGroupMap? ReadGroups(ParseResult parsed, TrainingOptions options)
    {
        if (options.Model != ModelKind.Budget) return null;
        var path = parsed.GetValue(_groups)!;
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        return ItemGroupMap.Read(path);
    }

    /// <exception cref="DataFormatException">An item of the training file has no group: file:line of its first line.</exception>
    private static void RequireGroupsOfEveryItem(ItemGroupMap? groups, string file, Dataset train)
    {
        if (groups is null) return;
        var missing = groups.MissingOf(train.ItemIds);
        if (missing.Count > 0) throw groups.MissingGroupErrors(file, missing);
    }
}
