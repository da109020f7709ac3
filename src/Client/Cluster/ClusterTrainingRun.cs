using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// One <c>hpf train</c> on a cluster (a real one, or the embedded silo): create the job, stream the files into it, start
/// it, show its progress by polling its status, and download the model once it has completed. Ctrl+C cancels the
/// job on the cluster. The same code serves both paths, so the default path is the cluster path.
/// </summary>
internal sealed class ClusterTrainingRun(ClusterApiClient client, CliOutput output)
{
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The job as it ended and its model; throws for a job that failed or was cancelled, or data that were refused.</summary>
    public async Task<(JobStatus Status, HpfModel Model)> TrainAsync(
        string job, JobSpec spec, bool replace, string file, string? validationFile, DatasetFormat format, CancellationToken cancellationToken)
    {
        var final = await RunAsync(job, spec, replace, file, validationFile, format, cancellationToken).ConfigureAwait(false);
        var model = await client.DownloadModelAsync(job, final.Spec.Training, cancellationToken).ConfigureAwait(false);
        return (final, model);
    }

    /// <summary>
    /// The job trained to completion on the cluster, where its model stays (to be served there); throws for a job that
    /// failed or was cancelled, or data that were refused.
    /// </summary>
    public async Task<JobStatus> RunAsync(
        string job, JobSpec spec, bool replace, string file, string? validationFile, DatasetFormat format, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateJobAsync(job, spec, replace, cancellationToken).ConfigureAwait(false);
        }
        catch (ClusterApiException e) when (e.Failure == ClusterFailure.Conflict && !replace)
        {
            throw new CommandException(ExitCodes.BadOption,
                $"job '{job}' already exists on the cluster at {client.BaseAddress}: pass --replace to replace it, or name this one with --job NAME", e);
        }
        var started = false;
        try
        {
            await UploadAsync(job, DataSetKind.Training, file, format, cancellationToken).ConfigureAwait(false);
            if (validationFile is not null)
                await UploadAsync(job, DataSetKind.Validation, validationFile, format, cancellationToken).ConfigureAwait(false);
            var status = await client.StartAsync(job, cancellationToken).ConfigureAwait(false);
            started = true;
            // The shards seal in the background; the data's sizes are known once they have.
            while (status is { State: JobState.Loading })
            {
                await Task.Delay(JobStatus.ProgressPollInterval, cancellationToken).ConfigureAwait(false);
                status = await client.GetStatusAsync(job, cancellationToken).ConfigureAwait(false);
            }
            ThrowIfRefused(status);
            ReportLoaded(status, file, validationFile);

            var feed = new JobProgressFeed(spec.Training.MaxIterations, spec.Training.Stop);
            var final = await TrainingProgressDisplay.RunAsync(output, spec.Training.MaxIterations, spec.Training.CheckEvery,
                sink => PollUntilFinishedAsync(job, status, feed, sink, cancellationToken), cancellationToken).ConfigureAwait(false);
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
                    await client.CancelAsync(job, timeout.Token).ConfigureAwait(false);
                    output.Warn($"cancelled job '{job}' on the cluster at {client.BaseAddress}");
                }
                else
                {
                    await client.DeleteAsync(job, timeout.Token).ConfigureAwait(false);
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

    private async Task UploadAsync(string job, DataSetKind kind, string path, DatasetFormat format, CancellationToken cancellationToken)
    {
        // The path as the user typed it names the file in the cluster's file:line errors and picks the Auto format.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await client.UploadAsync(job, kind, format, path, stream, cancellationToken).ConfigureAwait(false);
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
        while (!status.IsFinished)
        {
            await Task.Delay(JobStatus.ProgressPollInterval, cancellationToken).ConfigureAwait(false);
            status = await client.GetStatusAsync(job, cancellationToken).ConfigureAwait(false);
            feed.Report(status, sink);
        }
        return status;
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
