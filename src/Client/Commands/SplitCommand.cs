using System.CommandLine;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf split</c>: a seeded random train/test split of a dataset's nonzeros (duplicates summed first), written as
/// two TSV files: the way the README's quality figures are reproduced.
/// </summary>
internal sealed class SplitCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _file = new("FILE") { Description = "the dataset to split" };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<bool> _header = OptionWords.Header();
    private readonly Option<double> _testFraction = new("--test-fraction") { Description = "share of the nonzeros held out for testing", DefaultValueFactory = _ => 0.2 };
    private readonly Option<ulong> _seed = new("--seed") { Description = "random seed; same file and seed give the same split", DefaultValueFactory = _ => 1UL };
    private readonly Option<string> _trainOut = new("--train-out") { Description = "TSV file for the training nonzeros", HelpName = "FILE", Required = true };
    private readonly Option<string> _testOut = new("--test-out") { Description = "TSV file for the test nonzeros", HelpName = "FILE", Required = true };

    public SplitCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("split", "Split a dataset's nonzeros at random into a training and a test file")
        {
            _file, _format, _header, _testFraction, _seed, _trainOut, _testOut,
        };
        Command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(parsed, cancellationToken)));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed, CancellationToken cancellationToken)
    {
        var path = parsed.GetValue(_file)!;
        var format = OptionWords.Parse(OptionWords.Formats, parsed.GetValue(_format)!);
        var data = TripletFileReader.Read(path, format, cancellationToken, parsed.GetValue(_header));
        DatasetSplit split;
        try
        {
            split = DatasetSplit.ByFraction(data, parsed.GetValue(_testFraction), parsed.GetValue(_seed), cancellationToken);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }
        var trainOut = parsed.GetValue(_trainOut)!;
        var testOut = parsed.GetValue(_testOut)!;
        TsvFile.WriteAtomically(trainOut, split.Train, cancellationToken);
        TsvFile.WriteAtomically(testOut, split.Test, cancellationToken);
        _environment.Output.Line($"wrote {split.Train.Nonzeros} training nonzeros to {trainOut} and {split.Test.Nonzeros} test nonzeros to {testOut}");
        return ExitCodes.Success;
    }
}
