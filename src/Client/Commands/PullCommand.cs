using System.CommandLine;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf pull JOB --cluster …</c>: copies a completed cluster job (its model and its training set) into the local
/// store, as <c>hpf train --cluster</c> saves the jobs it trains, so that evaluate, export, recommend and the rest work
/// on it without the cluster.
/// </summary>
internal sealed partial class PullCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the completed job on the cluster" };
    private readonly ClusterConnection _connection = new("the cluster to pull from");

    public PullCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("pull", "Copy a completed cluster job's model and training set into the local data directory") { _job };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var name = parsed.GetValue(_job)!;
        var store = _environment.Store(parsed);
        JobStore.ValidateName(name);
        // Before the download, which for a large job is the long part.
        WritableDirectory.Require(store.DataDirectory, "the data directory (--data-dir)");
        await using var client = await _connection.ConnectRequiredAsync(parsed, "pull", cancellationToken);
        if (await PullGaussianAsync(client, store, name, cancellationToken)) return ExitCodes.Success;
        var pulled = await PullCompletedAsync(client, name, cancellationToken);
        var replacing = store.Exists(name);
        var saved = store.Save(pulled.Manifest(name, DateTimeOffset.UtcNow), pulled.Model, pulled.Train, cancellationToken);
        _environment.Output.Line($"pulled job '{name}' from {client.Where} ({pulled.Model.Users} users, {pulled.Model.Items} items, "
            + $"{pulled.Train.Nonzeros} nonzeros, K = {pulled.Model.Factors}, iteration {pulled.Status.Iteration}); {(replacing ? "replaced" : "saved")} in {saved.Directory}");
        return ExitCodes.Success;
    }

    /// <summary>The job, once it is known to have completed; a job that has not is refused with its state and the matching exit code.</summary>
    internal static async Task<PulledJob> PullCompletedAsync(ClusterJobs client, string job, CancellationToken cancellationToken)
    {
        var status = await client.GetStatusAsync(job, cancellationToken);
        RequireCompleted(client, job, status);
        return await client.PullAsync(job, cancellationToken);
    }

    /// <summary>Refuses a job that has not completed with its state and the matching exit code.</summary>
    private static void RequireCompleted(ClusterJobs client, string job, JobStatus status)
    {
        switch (status.State)
        {
            case JobState.Completed:
                return;
            case JobState.Failed:
                throw new CommandException(ExitCodes.JobFailed, $"job '{job}' failed on {client.Where} at iteration {status.Iteration} ({status.Error ?? "no reason given"}); it has no model to pull");
            default:
                throw new CommandException(ExitCodes.JobNotServable,
                    $"job '{job}' on {client.Where} is {status.State.ToString().ToLowerInvariant()} (iteration {status.Iteration}); its model can be pulled once it has completed");
        }
    }
}
