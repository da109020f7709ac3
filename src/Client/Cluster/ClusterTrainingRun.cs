using System.Diagnostics;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// One <c>hpf train</c> on a cluster (a real one, or the embedded silo): create the job, stream the files into it, start
/// it, show its progress by polling its status (riding out a lost gateway or silo, and saying when the job rolled back), and download the model once it has completed. Ctrl+C cancels the
/// job on the cluster. The same code serves both paths, so the default path is the cluster path.
/// </summary>
internal sealed class ClusterTrainingRun(ClusterJobs client, CliOutput output)
{
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the progress polls may go unanswered before the run gives up. Losing a gateway or a silo costs a few
    /// seconds (Orleans moves to another gateway, the coordinator is activated again from its state), a call to a silo
    /// nobody has declared dead yet up to Orleans' 30 s response timeout; the job itself goes on meanwhile.
    /// </summary>
    private static readonly TimeSpan PollOutage = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan PollRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The job as it ended and its model; throws for a job that failed or was cancelled, or data that were refused.</summary>
    public async Task<(JobStatus Status, HpfModel Model)> TrainAsync(
        string job, JobSpec spec, bool replace, string file, string? validationFile, DatasetFormat format, bool header, CancellationToken cancellationToken)
    {
        var final = await RunAsync(job, spec, replace, file, validationFile, format, header, cancellationToken);
        var model = await client.DownloadModelAsync(job, final.Spec.Training, cancellationToken);
        return (final, model);
    }

    /// <summary>
    /// The job trained to completion on the cluster, where its model stays (to be served there); throws for a job that
    /// failed or was cancelled, or data that were refused.
    /// </summary>
    /// <param name="header">Line 1 of the files is a header (<c>--header</c>).</param>
    public async Task<JobStatus> RunAsync(
        string job, JobSpec spec, bool replace, string file, string? validationFile, DatasetFormat format, bool header, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateJobAsync(job, spec, replace, cancellationToken);
        }
        catch (ClusterApiException e) when (e.Failure == ClusterFailure.Conflict && !replace)
        {
            throw new CommandException(ExitCodes.BadOption,
                $"job '{job}' already exists on {client.Where}: pass --replace to replace it, or name this one with --job NAME", e);
        }
        var started = false;
        try
        {
            await UploadAsync(job, DataSetKind.Training, file, format, header, cancellationToken);
            if (validationFile is not null)
                await UploadAsync(job, DataSetKind.Validation, validationFile, format, header, cancellationToken);
            var status = await client.StartAsync(job, cancellationToken);
            started = true;
            // The shards seal in the background; the data's sizes are known once they have.
            while (status is { State: JobState.Loading })
            {
                await Task.Delay(JobStatus.ProgressPollInterval, cancellationToken);
                status = await PollAsync(job, cancellationToken);
            }
            ThrowIfRefused(status);
            ReportLoaded(status, file, validationFile);

            var feed = new JobProgressFeed(spec.Training.MaxIterations, spec.Training.Stop);
            var final = await TrainingProgressDisplay.RunAsync(output, spec.Training.MaxIterations, spec.Training.CheckEvery,
                sink => PollUntilFinishedAsync(job, status, feed, sink, cancellationToken), cancellationToken);
            ThrowUnlessCompleted(final);
            return final;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: a started job must stop on the cluster too, not train on for no one; one not started yet goes.
            using var timeout = new CancellationTokenSource(CancelTimeout);
            try
            {
                if (started)
                {
                    await client.CancelAsync(job, timeout.Token);
                    output.Warn($"cancelled job '{job}' on {client.Where}");
                }
                else
                {
                    await client.DeleteAsync(job, timeout.Token);
                }
            }
            catch (ClusterApiException e) when (e.Failure == ClusterFailure.JobNotFound)
            {
                // A cancelled upload has already taken the job with it.
            }
            catch (Exception e) when (e is ClusterApiException or OperationCanceledException)
            {
                output.Warn($"could not {(started ? "cancel" : "delete")} job '{job}' on the cluster: {e.Message}");
            }
            throw;
        }
    }

    private async Task UploadAsync(string job, DataSetKind kind, string path, DatasetFormat format, bool header, CancellationToken cancellationToken)
    {
        // The path as the user typed it names the file in the cluster's file:line errors and picks the Auto format.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await client.UploadAsync(job, kind, format, path, stream, cancellationToken, header);
    }

    private void ReportLoaded(JobStatus status, string file, string? validationFile)
    {
        if (status.Data is not { } data) return;
        output.Line($"loaded {file}: {data.Users} users, {data.Items} items, {data.Nonzeros} nonzeros in {ProgressText.Seconds(status.LoadSeconds)} s"
            + $" ({status.UserShards} user and {status.ItemShards} item shards)");
        if (validationFile is null) return;
        output.Line($"validation {validationFile}: {data.ValidationNonzeros} nonzeros used, {data.ValidationSkippedUnknownUser} skipped (unknown user), {data.ValidationSkippedUnknownItem} skipped (unknown item)");
        if (data.ValidationNonzeros == 0)
            output.Warn($"{validationFile}: no held-out nonzero has both its user and its item in {file}; the curve has no validation likelihood");
    }

    private async Task<JobStatus> PollUntilFinishedAsync(string job, JobStatus status, JobProgressFeed feed, IProgress<TrainingProgress> sink, CancellationToken cancellationToken)
    {
        feed.Report(status, sink);
        var rollbacks = status.Rollbacks;
        while (!status.IsFinished)
        {
            await Task.Delay(JobStatus.ProgressPollInterval, cancellationToken);
            status = await PollAsync(job, cancellationToken);
            if (status.Rollbacks > rollbacks)
            {
                // The status says how often, not why: the coordinator's log on the cluster has the cause.
                var times = status.Rollbacks - rollbacks == 1 ? "" : $" {status.Rollbacks - rollbacks} times";
                var why = status.LastRollback is { Length: > 0 } last ? $"; the last went {last}" : "";
                output.Warn($"job '{job}' rolled back{times} ({status.Rollbacks} rollback(s) in all{why}) and goes on from there");
                rollbacks = status.Rollbacks;
            }
            feed.Report(status, sink);
        }
        return status;
    }

    /// <summary>
    /// The job's status, asked again while the cluster does not answer (a gateway or silo lost, for up to
    /// <see cref="PollOutage"/>): the job trains on meanwhile, and the console should not give up on it.
    /// </summary>
    private async Task<JobStatus> PollAsync(string job, CancellationToken cancellationToken)
    {
        Stopwatch? outage = null;
        while (true)
        {
            try
            {
                var status = await client.GetStatusAsync(job, cancellationToken);
                if (outage is not null) output.Warn($"back in contact with {client.Where} after {ProgressText.Seconds(outage.Elapsed.TotalSeconds)} s");
                return status;
            }
            catch (ClusterApiException e) when (e.Failure == ClusterFailure.Unreachable && !cancellationToken.IsCancellationRequested)
            {
                if (outage is null)
                {
                    outage = Stopwatch.StartNew();
                    output.Warn($"no answer about job '{job}' ({e.Message}); trying again for up to {PollOutage.TotalSeconds:F0} s");
                }
                else if (outage.Elapsed > PollOutage)
                {
                    throw;
                }
                await Task.Delay(PollRetryDelay, cancellationToken);
            }
        }
    }

    /// <summary>Data the seal refused are bad data, as a bad line is: the job trained nothing.</summary>
    private static void ThrowIfRefused(JobStatus status)
    {
        if (status is { State: JobState.Failed, Failure: JobFailure.Data })
            throw new CommandException(ExitCodes.BadData, $"job '{status.Job}' was refused: {status.Error}");
    }

    private static void ThrowUnlessCompleted(JobStatus status)
    {
        switch (status.State)
        {
            case JobState.Completed:
                return;
            case JobState.Failed when status.Failure == JobFailure.Numeric:
                throw new CommandException(ExitCodes.NumericFailure,
                    $"job '{status.Job}' failed: {status.Error}\nno model was saved; extreme priors (--a, --a-prime, --b-prime, --c, --c-prime, --d-prime) are the usual cause");
            case JobState.Failed when status.Failure == JobFailure.Data:
                throw new CommandException(ExitCodes.BadData, $"job '{status.Job}' was refused: {status.Error}");
            case JobState.Failed:
                throw new CommandException(ExitCodes.JobFailed, $"job '{status.Job}' failed on the cluster at iteration {status.Iteration}: {status.Error ?? "no reason given"}");
            default:
                throw new CommandException(ExitCodes.Cancelled, $"job '{status.Job}' was cancelled on the cluster at iteration {status.Iteration}; nothing was saved");
        }
    }
}
