using System.Globalization;
using System.Text;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Reads (user, item, count) files line by line into a <see cref="DatasetBuilder"/>. Every bad line is reported as
/// <c>file:line: reason</c>; when there is any, the whole file is refused with one <see cref="DataFormatException"/>
/// that lists them all, rather than training on the part that parsed. Blank lines are ignored. Line 1 is taken as a
/// header only when it is one (its count, and a MovieLens timestamp, are not numbers) and a header is expected: the
/// format has one (CSV, Last.fm) or the caller says so (<c>header</c>); otherwise a word in a count is an error, on
/// line 1 as anywhere. When every line fails the same way (a binary file, another separator, the wrong format), the
/// first few are listed with one message naming the likely cause instead of a hundred alike.
/// </summary>
public static class TripletFileReader
{
    private const int CancellationStride = 4096;

    /// <summary>Reads a whole file into a new dataset. Error messages name the file as <paramref name="path"/> spells it.</summary>
    /// <param name="header">Line 1 is a header even where the format has none (TSV, MovieLens).</param>
    /// <param name="ratings">The third column is a rating (the Gaussian model): any finite value, zero and negative kept, duplicate pairs averaged.</param>
    public static Dataset Read(string path, DatasetFormat format = DatasetFormat.Auto, CancellationToken ct = default, bool header = false, bool ratings = false)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        // A large plain TSV file is read as bytes; any other, or one with a line that is not plainly right, line by line.
        // The byte reader may give up part way, so only a file that can go back to its start (not a pipe) is offered to it.
        if (!ratings && stream.CanSeek && (format == DatasetFormat.Tsv || (format == DatasetFormat.Auto && FormatFromName(path) == DatasetFormat.Tsv)))
        {
            if (WellFormedTsvReader.TryRead(stream, ct) is { } parts) return Build(parts, path, 0);
            stream.Position = 0;
        }
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        return Read(reader, path, format, ct, header, ratings);
    }

    /// <summary>Reads text that came from elsewhere (a test, a pipe); <paramref name="fileName"/> is used for Auto and in messages.</summary>
    public static Dataset Read(TextReader reader, string fileName, DatasetFormat format = DatasetFormat.Auto, CancellationToken ct = default, bool header = false,
        bool ratings = false)
    {
        var builder = new DatasetBuilder(ratings);
        var summary = ReadInto(reader, fileName, builder, format, ct, header, ratings);
        return Build([builder], fileName, summary.DataLines);
    }

    private static Dataset Build(IReadOnlyList<DatasetBuilder> parts, string fileName, long dataLines)
    {
        long triplets = 0;
        foreach (var part in parts) triplets += part.Triplets;
        if (triplets == 0)
            throw new DataFormatException([new DataFormatError(fileName, 0, "count", $"all {dataLines} counts are zero; there is nothing to train on")], 1);
        try
        {
            return DatasetBuilder.Build(parts, releaseParts: true);
        }
        catch (OverflowException e)
        {
            // Each line was in range but duplicates of one pair sum out of it: no single line to name.
            throw new DataFormatException([new DataFormatError(fileName, 0, "count", e.Message)], 1);
        }
    }

    /// <summary>
    /// Adds a file's triplets to <paramref name="builder"/> (a dataset being built, or a job's shards), so that several
    /// files can make one dataset. When it throws, the sink holds the lines before the first bad one and should be
    /// discarded.
    /// </summary>
    /// <param name="header">Line 1 is a header even where the format has none (TSV, MovieLens).</param>
    /// <param name="ratings">The third column is a rating: zero and negative values are data, not errors or dropped lines.</param>
    public static TripletFileSummary ReadInto(TextReader reader, string fileName, ITripletSink builder, DatasetFormat format = DatasetFormat.Auto,
        CancellationToken ct = default, bool header = false, bool ratings = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(builder);
        var errors = new DataFormatErrorList(fileName);
        var fields = new LineFields();
        var resolved = format == DatasetFormat.Auto ? FormatFromName(fileName) : format;
        // Auto with no telling name: a TSV file whose first line has four fields is MovieLens (u.data renamed).
        var sniff = format == DatasetFormat.Auto && resolved == DatasetFormat.Tsv;
        var layout = TripletLayout.Of(resolved);
        long lineNumber = 0, dataLines = 0, zeros = 0;
        var headerSkipped = false;
        var shape = new LineShapeTally();
        // Files are often grouped by user: reuse the user's string while it repeats. (Interning every id through a
        // pool was measured slower than allocating: the builder's dictionary keeps one string per id either way.)
        var lastUser = "";

        while (reader.ReadLine() is { } text)
        {
            lineNumber++;
            if (lineNumber % CancellationStride == 0) ct.ThrowIfCancellationRequested();
            var line = text.AsSpan();
            if (lineNumber == 1 && line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
            if (line.IsWhiteSpace()) continue;

            if (sniff)
            {
                sniff = false;
                if (line.Count('\t') == 3)
                {
                    resolved = DatasetFormat.MovieLens;
                    layout = TripletLayout.Of(resolved);
                }
            }

            if (resolved == DatasetFormat.Csv)
            {
                if (fields.SplitCsv(line) is var (badField, problem))
                {
                    dataLines++;
                    shape.Failed(line, -1);
                    errors.Add(lineNumber, layout.FieldName(badField), $"{layout.Describe(badField)} {problem}");
                    continue;
                }
            }
            else
            {
                fields.SplitPlain(line, '\t');
            }

            if (fields.Count != layout.Names.Length)
            {
                dataLines++;
                shape.Failed(line, fields.Count);
                errors.Add(lineNumber, "line", $"expected {layout.Names.Length} fields {layout.Description}, found {fields.Count}");
                continue;
            }

            var countText = fields[2].Trim();
            var isNumber = double.TryParse(countText, NumberStyles.Float, CultureInfo.InvariantCulture, out var count);
            var firstLine = dataLines == 0 && !headerSkipped && errors.Total == 0;
            if (firstLine && !isNumber && (header || layout.HasHeader) && !HasNumberWhereTimestampBelongs(fields, layout))
            {
                headerSkipped = true;
                continue;
            }
            dataLines++;

            var user = fields[0].Trim();
            var item = fields[1].Trim();
            var bad = false;
            if (user.IsEmpty) bad = errors.Add(lineNumber, layout.Names[0], $"{layout.Names[0]} id is empty");
            if (item.IsEmpty) bad = errors.Add(lineNumber, layout.Names[1], $"{layout.Names[1]} id is empty");
            var countName = layout.Names[2];
            if (countText.IsEmpty) bad = errors.Add(lineNumber, countName, $"{countName} is empty");
            else if (!isNumber && firstLine) bad = errors.Add(lineNumber, countName, $"{countName} '{countText}' is not a number (if line 1 is a header, say so with --header; the API's upload takes header=true)");
            else if (!isNumber) bad = errors.Add(lineNumber, countName, $"{countName} '{countText}' is not a number");
            else if (!double.IsFinite(count)) bad = errors.Add(lineNumber, countName, $"{countName} '{countText}' is not finite");
            else if (count < 0 && !ratings) bad = errors.Add(lineNumber, countName, $"{countName} {countText} is negative");
            else if (Math.Abs(count) > float.MaxValue) bad = errors.Add(lineNumber, countName, $"{countName} {countText} is beyond the float32 range counts are stored in (3.4e38)");
            if (bad)
            {
                shape.Failed(line, fields.Count);
                continue;
            }
            shape.Parsed();
            if (errors.Total > 0) continue;   // once the file is refused, stop growing the builder

            if (count == 0 && !ratings)
            {
                zeros++;
                continue;
            }
            if (!user.SequenceEqual(lastUser)) lastUser = user.ToString();
            builder.Add(lastUser, item.ToString(), count);
        }

        if (dataLines == 0) errors.Add(0, "file", "the file has no data lines");
        if (shape.LikelyCause(resolved, format, layout) is { } cause) errors.Summarise(LineShapeTally.Listed, cause);
        errors.ThrowIfAny();
        return new TripletFileSummary(fileName, resolved, lineNumber, dataLines, zeros, headerSkipped);
    }

    /// <summary>A MovieLens line whose timestamp is a number is data, whatever its rating says.</summary>
    private static bool HasNumberWhereTimestampBelongs(LineFields fields, TripletLayout layout) =>
        layout.Names.Length > 3 && double.TryParse(fields[3].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// The format Auto picks from a file name alone (<c>u.data</c>, <c>*.base</c>, <c>*.test</c>: MovieLens;
    /// <c>user_artists.dat</c>: Last.fm; <c>*.csv</c>: CSV; otherwise TSV, which the reader turns into MovieLens when
    /// the first line has four fields).
    /// </summary>
    public static DatasetFormat FormatFromName(string fileName)
    {
        var name = Path.GetFileName(fileName);
        if (name.Equals("u.data", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".base", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".test", StringComparison.OrdinalIgnoreCase))
            return DatasetFormat.MovieLens;
        if (name.Equals("user_artists.dat", StringComparison.OrdinalIgnoreCase)) return DatasetFormat.LastFm;
        if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return DatasetFormat.Csv;
        return DatasetFormat.Tsv;
    }
}
