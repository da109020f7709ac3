using System.IO.Pipelines;
using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Loading;

/// <summary>
/// Uploads one file of triplets into a job: reads it line by line with the engine's reader (same formats, same
/// <c>file:line: reason</c> errors) and streams the triplets to the shards as it goes. A file with any bad line is
/// refused whole and the job deleted with everything its shards received, so nothing is trained on part of a file.
/// </summary>
public static class JobUpload
{
    /// <summary>Reads <paramref name="body"/> (a request body: asynchronous reads only is fine) into the job's shards.</summary>
    /// <param name="source">The file name as the user gave it: used for the Auto format and in error messages.</param>
    /// <param name="header">Line 1 is a header even in a format that usually has none (TSV, MovieLens).</param>
    /// <exception cref="DataFormatException">The file had bad lines; the job no longer exists.</exception>
    public static async Task<JobStatus> RunAsync(IGrainFactory grains, string job, DataSetKind kind, Stream body, string source,
        DatasetFormat format, CancellationToken cancellationToken, bool header = false)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(body);
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job);
        var shards = await coordinator.BeginUpload(kind, source, cancellationToken);
        // A Gaussian job's file holds ratings: zero and negative values are data there, not errors or dropped lines.
        var ratings = (await coordinator.GetStatus(cancellationToken))?.Spec.Training.Model == ModelKind.Gaussian;
        var router = new TripletRouter(kind, shards, cancellationToken);
        TripletFileSummary summary;
        try
        {
            // The reader is synchronous; on its own thread it reads the body through a pipe, which may block.
            summary = await Task.Factory.StartNew(() =>
            {
                using var text = new StreamReader(PipeReader.Create(body).AsStream(), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
                var read = TripletFileReader.ReadInto(text, source, router, format, cancellationToken, header, ratings);
                if (kind == DataSetKind.Training && router.Triplets == 0)
                {
                    throw new DataFormatException([new DataFormatError(source, 0, "count", $"all {read.DataLines} counts are zero; there is nothing to train on")], 1);
                }
                return read;
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await router.CompleteAsync();
        }
        catch (DataFormatException refused)
        {
            await router.AbandonAsync();
            var errors = new string[refused.Errors.Count];
            for (var e = 0; e < errors.Length; e++) errors[e] = refused.Errors[e].ToString();
            await coordinator.RefuseUpload(new UploadRefusal(kind, source, errors, refused.TotalErrors), CancellationToken.None);
            throw;
        }
        catch (Exception interrupted)
        {
            // Part of a file is not the file: an upload that broke off leaves no job behind either.
            await router.AbandonAsync();
            var reason = interrupted is OperationCanceledException ? "the upload was cancelled" : $"the upload failed: {interrupted.Message}";
            await coordinator.RefuseUpload(new UploadRefusal(kind, source, [$"{source}: {reason}"], 1), CancellationToken.None);
            throw;
        }
        return await coordinator.CompleteUpload(new UploadSummary(kind, source, summary.Format.ToString().ToLowerInvariant(), summary.Lines,
            summary.DataLines, router.Triplets, summary.ZeroCounts, summary.HeaderSkipped, router.UserShardTriplets, router.ItemShardTriplets), cancellationToken);
    }
}
