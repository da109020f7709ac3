using System.CommandLine;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf export JOB --out DIR</c>: E[θ] and E[β] as TSV, with the job's model.json, for use outside hpf.</summary>
internal sealed class ExportCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the saved job" };
    private readonly Option<string> _out = new("--out") { Description = "directory to write theta.tsv, beta.tsv and model.json into", HelpName = "DIR", Required = true };

    public ExportCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("export", "Write a job's factors E[θ]/M (theta.tsv, M the ensemble's members) and E[β] (beta.tsv), whose dot products are the predicted counts, and its model.json") { _job, _out };
        Command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(parsed, cancellationToken)));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed, CancellationToken cancellationToken)
    {
        var job = _environment.OpenJob(parsed, parsed.GetValue(_job)!);
        var directory = parsed.GetValue(_out)!;
        var model = job.LoadModel();
        JobStore.Export(model, job.Manifest, directory, cancellationToken);
        _environment.Output.Line($"exported job '{job.Name}' ({model.Users} users, {model.Items} items, K = {model.Factors}) to {Path.GetFullPath(directory)}");
        return ExitCodes.Success;
    }
}
