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

    /// <summary>
    /// The budget model's factor shapes a and c when --a and --c are not given. Its likelihood does not see the scale of
    /// a user's x or of a group's β, so a and c set them; 1 fitted held-out data best in the study of docs/benchmarks.md
    /// ("The budget model"), where HPF's 0.3 lost to plain HPF.
    /// </summary>
    public const double BudgetShape = 1.0;

    /// <summary>
    /// The options with the model asked for: the budget model trains one member unless --members is given, with shapes
    /// a = c = <see cref="BudgetShape"/> unless --a or --c is given.
    /// </summary>
    private TrainingOptions ModelOptions(ParseResult parsed, TrainingOptions options)
    {
        if (options.Model != ModelKind.Budget)
        {
            if (parsed.GetValue(_groups) is not null) throw new CommandException(ExitCodes.BadOption, "--groups is for --model budget; the other models have no groups");
            return options;
        }
        if (parsed.GetValue(_groups) is null) throw new CommandException(ExitCodes.BadOption, "--model budget needs --groups FILE: a file of item<TAB>group lines, one per item");
        var (aGiven, cGiven) = _training.ShapesGiven(parsed);
        var priors = options.Priors with { A = aGiven ? options.Priors.A : BudgetShape, C = cGiven ? options.Priors.C : BudgetShape };
        var budget = options with { Model = ModelKind.Budget, Members = _training.MembersGiven(parsed) ? options.Members : 1, Priors = priors };
        try
        {
            budget.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }
        return budget;
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
