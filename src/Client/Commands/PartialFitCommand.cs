using System.CommandLine;
using Hpf.Cluster.Client.Cluster;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf partial-fit JOB FILE --cluster host:port</c>: hpfrec's partial_fit on a finished cluster job: a further SVI pass over
/// new users' counts, the job's step size going on, the users stored for serving. It runs on the cluster that holds the
/// job (a job trained on the embedded silo leaves only its downloaded model behind, which has no SVI state to go on from).
/// </summary>
internal sealed class PartialFitCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the finished job on the cluster" };
    private readonly Argument<string> _file = new("FILE") { Description = "the new users' (user, item, count) triplets" };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<bool> _header = OptionWords.Header();
    private readonly Option<int?> _usersPerBatch = new("--users-per-batch") { Description = "users per mini-batch (default: the job's, else all at once)", HelpName = "N" };
    private readonly Option<bool> _json = new("--json") { Description = "print the result as JSON" };
    private readonly ClusterConnection _connection = new("the cluster holding the job");

    public PartialFitCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("partial-fit", "Fit new users into a finished cluster job by a further SVI pass (items they touch move; the users are served afterwards)")
        {
            _job, _file, _format, _header, _usersPerBatch, _json,
        };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        var file = parsed.GetValue(_file)!;
        var batch = parsed.GetValue(_usersPerBatch);
        if (batch is < 1) throw new CommandException(ExitCodes.BadOption, $"option '--users-per-batch' must be ≥ 1, got {batch}");
        await using var client = await _connection.ConnectRequiredAsync(parsed, "partial-fit", cancellationToken);
        var format = OptionWords.Parse(OptionWords.Formats, parsed.GetValue(_format)!);
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var result = await client.PartialFitAsync(parsed.GetValue(_job)!, stream, file, format, batch, cancellationToken, parsed.GetValue(_header));
        if (parsed.GetValue(_json))
        {
            output.WriteJson(result);
            return ExitCodes.Success;
        }
        output.Line($"partial fit of job '{result.Job}': {result.Users} users ({result.NewUsers} new) in {result.Batches} batch(es), " +
            $"{result.ItemsUpdated} items moved, SVI step {result.StepFrom} → {result.StepTo}, {result.Seconds:F2} s");
        if (result.UnknownItems.Length > 0)
            output.Warn($"{result.UnknownItems.Length} item(s) the model does not have were left out: {string.Join(", ", result.UnknownItems.Take(10))}{(result.UnknownItems.Length > 10 ? ", …" : "")}");
        return ExitCodes.Success;
    }
}
