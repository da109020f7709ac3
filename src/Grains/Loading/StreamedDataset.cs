using System.IO.Pipelines;
using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Loading;

/// <summary>
/// A whole file of triplets read from a stream into one dataset with the engine's reader (same formats, same
/// <c>file:line: reason</c> errors): the test set of an evaluation, the new users of a partial fit. Shared by the silo's
/// HTTP API (a request body) and the console (a file), so both refuse the same files the same way.
/// </summary>
public static class StreamedDataset
{
    /// <summary>Reads <paramref name="body"/> on a thread of its own (the reader is synchronous, the stream may not be).</summary>
    /// <param name="source">The file name as the user gave it: for the Auto format and in error messages.</param>
    /// <param name="purpose">What the data are for ("evaluate", "fit"), for the message when every count is zero.</param>
    /// <exception cref="DataFormatException">A bad line, every count zero, or a count that overflows.</exception>
    /// <param name="header">Line 1 is a header even in a format that usually has none (TSV, MovieLens).</param>
    /// <param name="ratings">The third column is a rating (a Gaussian job's test set): zero and negative values kept, a pair given twice averaged.</param>
    public static Task<Dataset> ReadAsync(Stream body, string source, DatasetFormat format, string purpose, CancellationToken cancellationToken, bool header = false,
        bool ratings = false)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Task.Factory.StartNew(() =>
        {
            using var text = new StreamReader(PipeReader.Create(body).AsStream(), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            var builder = new DatasetBuilder(ratings);
            var summary = TripletFileReader.ReadInto(text, source, builder, format, cancellationToken, header, ratings);
            if (builder.Triplets == 0)
                throw new DataFormatException([new DataFormatError(source, 0, "count", $"all {summary.DataLines} counts are zero; there is nothing to {purpose}")], 1);
            try
            {
                return builder.Build();
            }
            catch (OverflowException e)
            {
                throw new DataFormatException([new DataFormatError(source, 0, "count", e.Message)], 1);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}
