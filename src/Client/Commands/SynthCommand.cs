using System.CommandLine;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf synth</c>: draws a dataset from the HPF generative model and writes it as <c>user&lt;TAB&gt;item&lt;TAB&gt;count</c>.</summary>
internal sealed partial class SynthCommand
{
    /// <summary>The generator's sampling defaults (a' = c' = 3, unlike the training priors) live in SyntheticOptions.</summary>
    private static readonly SyntheticOptions Defaults = new();

    private readonly CommandEnvironment _environment;
    private readonly Option<int> _users = new("--users") { Description = "number of users to generate", DefaultValueFactory = _ => Defaults.Users };
    private readonly Option<int> _items = new("--items") { Description = "number of items to generate", DefaultValueFactory = _ => Defaults.Items };
    private readonly Option<int> _factors = new("--factors") { Description = "number of true factors K", DefaultValueFactory = _ => Defaults.Factors };
    private readonly Option<ulong> _seed = new("--seed") { Description = "random seed; same options give the same file", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _out = new("--out") { Description = "the TSV file to write", HelpName = "FILE", Required = true };
    private readonly Option<double> _a = Prior("--a", "shape of θ_uk", Defaults.A);
    private readonly Option<double> _aPrime = Prior("--a-prime", "shape of the user activity ξ_u", Defaults.APrime);
    private readonly Option<double> _bPrime = Prior("--b-prime", "mean of the user activity ξ_u", Defaults.BPrime);
    private readonly Option<double> _c = Prior("--c", "shape of β_ik", Defaults.C);
    private readonly Option<double> _cPrime = Prior("--c-prime", "shape of the item popularity η_i", Defaults.CPrime);
    private readonly Option<double> _dPrime = Prior("--d-prime", "mean of the item popularity η_i", Defaults.DPrime);
    private readonly Option<double> _scale = new("--scale") { Description = "multiplies every θ_u: more counts per user", DefaultValueFactory = _ => Defaults.Scale };
    private readonly Option<long?> _targetNonzeros = new("--target-nonzeros") { Description = "choose the scale so that about this many nonzeros are drawn", HelpName = "N" };
    private readonly Option<int> _threads = new("--threads") { Description = "worker threads, 0 = all cores; never changes the data", DefaultValueFactory = _ => Defaults.Threads };

    public SynthCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("synth", "Draw a synthetic dataset from the HPF model and write it as user<TAB>item<TAB>count")
        {
            _users, _items, _factors, _seed, _out, _a, _aPrime, _bPrime, _c, _cPrime, _dPrime, _scale, _targetNonzeros, _threads,
        };
        foreach (var option in BudgetOptions) Command.Options.Add(option);
        Command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(parsed, cancellationToken)));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed, CancellationToken cancellationToken)
    {
        if (IsBudget(parsed)) return RunBudget(parsed, cancellationToken);
        var options = new SyntheticOptions
        {
            Users = parsed.GetValue(_users),
            Items = parsed.GetValue(_items),
            Factors = parsed.GetValue(_factors),
            Seed = parsed.GetValue(_seed),
            A = parsed.GetValue(_a),
            APrime = parsed.GetValue(_aPrime),
            BPrime = parsed.GetValue(_bPrime),
            C = parsed.GetValue(_c),
            CPrime = parsed.GetValue(_cPrime),
            DPrime = parsed.GetValue(_dPrime),
            Scale = parsed.GetValue(_scale),
            TargetNonzeros = parsed.GetValue(_targetNonzeros),
            Threads = parsed.GetValue(_threads),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }

        SyntheticDataset synthetic;
        try
        {
            synthetic = SyntheticDataset.Generate(options, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            // The options are valid but describe a draw that cannot be made (no counts at all, no reachable target).
            throw new CommandException(ExitCodes.BadOption, e.Message, e);
        }

        var path = parsed.GetValue(_out)!;
        TsvFile.WriteAtomically(path, synthetic.Data, cancellationToken);
        var data = synthetic.Data;
        _environment.Output.Line($"wrote {data.Nonzeros} nonzeros ({data.Users} users, {data.Items} items with a count; total count {data.TotalCount}) to {path}");
        return ExitCodes.Success;
    }

    private static Option<double> Prior(string name, string meaning, double defaultValue) =>
        new(name) { Description = $"sampling prior: {meaning}", DefaultValueFactory = _ => defaultValue };
}
