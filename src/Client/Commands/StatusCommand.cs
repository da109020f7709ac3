using System.CommandLine;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf status JOB --cluster host:port</c>: a cluster job's state, progress, data and timings.</summary>
internal sealed class StatusCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the job on the cluster" };
    private readonly Option<bool> _json = new("--json") { Description = "print the job's status as JSON (the API's JobStatus)" };
    private readonly ClusterConnection _connection = new("the cluster");

    public StatusCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("status", "Show a cluster job's state, progress and log-likelihood") { _job, _json };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        await using var client = await _connection.ConnectRequiredAsync(parsed, "status", cancellationToken);
        var status = await client.GetStatusAsync(parsed.GetValue(_job)!, cancellationToken);
        if (parsed.GetValue(_json))
        {
            _environment.Output.WriteJson(status);
            return ExitCodes.Success;
        }
        Describe(_environment.Output, status);
        return ExitCodes.Success;
    }

    /// <summary>The status in a few lines, as <c>hpf status</c> and <c>hpf cancel</c> print it.</summary>
    internal static void Describe(CliOutput output, JobStatus status)
    {
        var training = status.Spec.Training;
        output.Line($"job '{status.Job}': {Word(status.State)}, iteration {status.Iteration}/{training.MaxIterations}");
        var remaining = status.IsFinished ? "-" : ProgressText.Left(status.RemainingSeconds is { } r ? TimeSpan.FromSeconds(r) : null);
        output.Line($"log-likelihood {ProgressText.LogLikelihood(status.LogLikelihood)}  elapsed {ProgressText.Elapsed(TimeSpan.FromSeconds(status.ElapsedSeconds))}  left {remaining}");
        if (status.Data is { } data)
            output.Line($"data: {data.Users} users, {data.Items} items, {data.Nonzeros} nonzeros; {status.UserShards} user and {status.ItemShards} item shards");
        if (status.Sources.Length > 0)
            output.Line($"sources: {string.Join(", ", status.Sources)}");
        output.Line($"K = {training.Factors} ({training.Members} member(s)), stop {OptionWords.WordOf(OptionWords.StopRules, training.Stop)}, seed {training.Seed}; last checkpoint at iteration {status.LastCheckpoint}, {status.Rollbacks} rollback(s)");
        if (status.LastRollback is { Length: > 0 } last) output.Line($"last rollback: {last}");
        if (status.StopReason is { } reason) output.Line($"stopped: {reason}");
        if (status.Error is { } error) output.Line($"error: {error}");
    }

    private static string Word(JobState state) => state.ToString().ToLowerInvariant();
}
