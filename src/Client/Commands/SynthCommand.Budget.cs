using System.CommandLine;
using System.Text;
using Hpf.Cluster.Grains.Engine.Budget;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf synth --model budget --groups G --groups-out FILE</c>: data sampled from the budget model, each played
/// (user, group) total first, then its multinomial split over the group's items (<see cref="SyntheticBudgetDataset"/>).
/// </summary>
internal sealed partial class SynthCommand
{
    private static readonly SyntheticBudgetOptions BudgetDefaults = new();

    /// <summary>The models synth samples from.</summary>
    private static readonly IReadOnlyList<(string Word, Grains.Interfaces.ModelKind Value)> Models =
        [("hpf", Grains.Interfaces.ModelKind.Poisson), ("budget", Grains.Interfaces.ModelKind.Budget)];

    private readonly Option<string> _model = OptionWords.Create("--model", Models, Grains.Interfaces.ModelKind.Poisson,
        "the model the data are drawn from: hpf, or budget (needs --groups and --groups-out)");
    private readonly Option<int?> _groups = new("--groups") { Description = "budget: number of groups (item n is in group n mod G)", HelpName = "G" };
    private readonly Option<string?> _groupsOut = new("--groups-out") { Description = "budget: the item<TAB>group file to write", HelpName = "FILE" };
    private readonly Option<double> _groupsPerUser = new("--groups-per-user") { Description = "budget: mean number of groups a user plays", DefaultValueFactory = _ => BudgetDefaults.GroupsPerUser };
    private readonly Option<double> _playsPerGroup = new("--plays-per-group") { Description = "budget: mean total count of a played (user, group) pair", DefaultValueFactory = _ => BudgetDefaults.PlaysPerGroup };

    private IEnumerable<Option> BudgetOptions => [_model, _groups, _groupsOut, _groupsPerUser, _playsPerGroup];

    private bool IsBudget(ParseResult parsed)
    {
        var budget = OptionWords.Parse(Models, parsed.GetValue(_model)!) == Grains.Interfaces.ModelKind.Budget;
        if (!budget)
        {
            foreach (var option in new Option[] { _groups, _groupsOut, _groupsPerUser, _playsPerGroup })
                if (parsed.GetResult(option) is { Implicit: false }) throw new CommandException(ExitCodes.BadOption, $"{option.Name} is for --model budget");
            return false;
        }
        foreach (var option in new Option[] { _aPrime, _bPrime, _cPrime, _dPrime, _scale, _targetNonzeros })
        {
            if (parsed.GetResult(option) is { Implicit: false })
                throw new CommandException(ExitCodes.BadOption, $"{option.Name} is an HPF sampling option; the budget model draws its group totals with --groups-per-user and --plays-per-group");
        }
        if (parsed.GetValue(_groups) is null) throw new CommandException(ExitCodes.BadOption, "--model budget needs --groups G, the number of groups");
        if (parsed.GetValue(_groupsOut) is null) throw new CommandException(ExitCodes.BadOption, "--model budget needs --groups-out FILE, where the item<TAB>group lines go");
        return true;
    }

    private int RunBudget(ParseResult parsed, CancellationToken cancellationToken)
    {
        var options = new SyntheticBudgetOptions
        {
            Users = parsed.GetValue(_users),
            Items = parsed.GetValue(_items),
            Groups = parsed.GetValue(_groups)!.Value,
            Factors = parsed.GetValue(_factors),
            Seed = parsed.GetValue(_seed),
            A = parsed.GetValue(_a),
            C = parsed.GetValue(_c),
            GroupsPerUser = parsed.GetValue(_groupsPerUser),
            PlaysPerGroup = parsed.GetValue(_playsPerGroup),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }
        var synthetic = SyntheticBudgetDataset.Generate(options, cancellationToken);
        var path = parsed.GetValue(_out)!;
        var groupsPath = parsed.GetValue(_groupsOut)!;
        TsvFile.WriteAtomically(path, synthetic.Data, cancellationToken);
        var temporary = groupsPath + ".tmp";
        using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16))
            synthetic.WriteGroups(writer);
        File.Move(temporary, groupsPath, overwrite: true);
        var data = synthetic.Data;
        _environment.Output.Line($"wrote {data.Nonzeros} nonzeros ({data.Users} users, {data.Items} items with a count; total count {data.TotalCount}) to {path}");
        _environment.Output.Line($"wrote {options.Items} items in {options.Groups} groups to {groupsPath}");
        return ExitCodes.Success;
    }
}
