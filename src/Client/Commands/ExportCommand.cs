using System.CommandLine;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf export JOB --out DIR</c>: E[θ] and E[β] as TSV, with the job's model.json, for use outside hpf; from the saved
/// job, or with <c>--cluster</c> straight from a completed cluster job (read as <c>hpf pull</c> reads it, not saved).
/// </summary>
internal sealed class ExportCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the saved job, or the cluster's job with --cluster" };
    private readonly Option<bool> _noHeader = new("--no-header") { Description = "write theta.tsv, beta.tsv (and a budget job's groups.tsv) without their header line" };
    private readonly Option<string> _out = new("--out") { Description = "directory to write theta.tsv, beta.tsv, model.json and a budget job's groups.tsv into", HelpName = "DIR", Required = true };
    private readonly ClusterConnection _connection = new("export this cluster's job instead of the saved one");

    public ExportCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("export", "Write a job's factors E[θ]/M (theta.tsv, M the ensemble's members) and E[β] (beta.tsv), whose dot products are the predicted counts, and its model.json") { _job, _out, _noHeader };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var name = parsed.GetValue(_job)!;
        var directory = parsed.GetValue(_out)!;
        WritableDirectory.Require(directory, "the export directory (--out)");
        HpfModel model;
        JobStoreManifest manifest;
        await using (var client = await _connection.ConnectAsync(parsed, cancellationToken))
        {
            if (client is not null)
            {
                var pulled = await PullCommand.PullCompletedAsync(client, name, cancellationToken);
                (model, manifest) = (pulled.Model, pulled.Manifest(name, DateTimeOffset.UtcNow));
            }
            else
            {
                var job = _environment.OpenJob(parsed, name);
                (model, manifest) = (job.LoadModel(), job.Manifest);
            }
        }
        JobStore.Export(model, manifest, directory, cancellationToken, header: !parsed.GetValue(_noHeader));
        _environment.Output.Line($"exported job '{name}' ({model.Users} users, {model.Items} items, K = {model.Factors}) to {Path.GetFullPath(directory)}");
        return ExitCodes.Success;
    }
}
