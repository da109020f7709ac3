using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Rendering;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf jobs</c>: the saved jobs of the data directory, from their model.json files only.</summary>
internal sealed class JobsCommand
{
    private readonly CommandEnvironment _environment;

    public JobsCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("jobs", "List the saved jobs");
        Command.SetAction(parsed => Run(parsed));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed)
    {
        var output = _environment.Output;
        var store = _environment.Store(parsed);
        var listing = store.List();
        foreach (var problem in listing.Unreadable) output.Warn(problem);
        if (listing.Jobs.Count == 0)
        {
            output.Line($"no jobs in {store.JobsDirectory}");
            return ExitCodes.Success;
        }
        var table = new Table()
            .AddColumn("name")
            .AddColumn("created (UTC)")
            .AddColumn(new TableColumn("users").RightAligned())
            .AddColumn(new TableColumn("items").RightAligned())
            .AddColumn(new TableColumn("nonzeros").RightAligned())
            .AddColumn(new TableColumn("iterations").RightAligned())
            .AddColumn(new TableColumn("final llk").RightAligned());
        foreach (var job in listing.Jobs)
        {
            var m = job.Manifest;
            table.AddRow(
                Markup.Escape(m.Name),
                m.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                m.Users.ToString(CultureInfo.InvariantCulture),
                m.Items.ToString(CultureInfo.InvariantCulture),
                m.Nonzeros.ToString(CultureInfo.InvariantCulture),
                m.Iterations.ToString(CultureInfo.InvariantCulture),
                ProgressText.LogLikelihood(m.FinalTrainLogLikelihood));
        }
        output.Console.Write(table);
        return ExitCodes.Success;
    }
}
