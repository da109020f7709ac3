using System.CommandLine;
using Hpf.Cluster.Client.Cluster;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf cancel JOB --cluster host:port</c>: stops a cluster job within one half-step; its last complete checkpoint is kept.</summary>
internal sealed class CancelCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the job on the cluster" };
    private readonly Option<bool> _json = new("--json") { Description = "print the job's status after the cancel as JSON" };
    private readonly ClusterConnection _connection = new("the cluster");

    public CancelCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("cancel", "Cancel a job training on the cluster") { _job, _json };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        await using var client = await _connection.ConnectRequiredAsync(parsed, "cancel", cancellationToken);
        var status = await client.CancelAsync(parsed.GetValue(_job)!, cancellationToken);
        if (parsed.GetValue(_json))
        {
            _environment.Output.WriteJson(status);
            return ExitCodes.Success;
        }
        if (status.State != Grains.Interfaces.JobState.Cancelled)
            _environment.Output.Warn($"job '{status.Job}' had already finished ({status.State.ToString().ToLowerInvariant()}); there was nothing to cancel");
        StatusCommand.Describe(_environment.Output, status);
        return ExitCodes.Success;
    }
}
