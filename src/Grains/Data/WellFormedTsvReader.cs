using System.Globalization;
using System.Text;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Reads a plain (user, item, count) TSV file as bytes, for files of tens of millions of lines: no string per line,
/// an id's text made once per distinct id, the count parsed from the bytes. It only takes files that are plainly
/// well formed (ASCII, so no byte order mark; three tab-separated fields; non-empty ids; numeric counts in range, so no
/// header line); at the first line that is anything else it gives up and returns null, so that
/// <see cref="TripletFileReader"/> reads the file line by line and words its errors and header rule as it always
/// has. Read whole, it hands the builder the same ids in the same order as that reader; read in parts, the parts'
/// builders are merged into the same dataset (<see cref="DatasetBuilder.Build(IReadOnlyList{DatasetBuilder}, bool)"/>).
/// </summary>
internal static class WellFormedTsvReader
{
    internal const int ChunkBytes = 1 << 20;
    /// <summary>Files of at least this many bytes are read in parts, one a core (at most <see cref="MaxParts"/>).</summary>
    internal const long PartsFrom = 64L << 20;
    internal const int MaxParts = 4;
    private const int CancellationStride = 4096;
    // Integers up to 15 digits convert to double exactly, so their value needs no general number parser.
    private const int ExactIntegerDigits = 15;

    /// <summary>
    /// The builders holding the file's triplets, one a part of the file in the file's order (for
    /// <see cref="DatasetBuilder.Build(IReadOnlyList{DatasetBuilder}, bool)"/>), or null when the file needs the line-by-line
    /// reader. A large file on disk is cut at line breaks into parts read side by side, each into a builder of its own:
    /// the lines' parsing and lookups were about half of a 48M-line load, on one core.
    /// </summary>
    /// <param name="parts">Parts to cut a file on disk into; by default one a core for a large file, else one.</param>
    public static DatasetBuilder[]? TryRead(Stream stream, CancellationToken ct, int? parts = null)
    {
        if (stream is not FileStream { CanSeek: true } file)
        {
            var whole = TryReadPart(span => stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false), stream.CanSeek ? stream.Length : -1, ct);
            return whole is null || whole.Triplets == 0 ? null : [whole];
        }
        var length = file.Length;
        var count = Math.Clamp(parts ?? (length >= PartsFrom ? Math.Min(Environment.ProcessorCount, MaxParts) : 1), 1, MaxParts);
        var starts = PartStarts(file, file.Position, length, count);
        var builders = new DatasetBuilder?[starts.Length - 1];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var others = new Task[builders.Length - 1];
        for (var p = 1; p < builders.Length; p++)
        {
            var part = p;
            others[p - 1] = Task.Run(() => builders[part] = ReadRange(file, starts[part], starts[part + 1], stop, ct), CancellationToken.None);
        }
        try
        {
            builders[0] = ReadRange(file, starts[0], starts[1], stop, ct);
        }
        finally
        {
            // Every part has ended (they stop soon once one has failed) before anything is thrown or the source disposed.
            try { Task.WaitAll(others); } catch (AggregateException) { }
        }
        foreach (var task in others) task.GetAwaiter().GetResult();
        var read = new DatasetBuilder[builders.Length];
        long triplets = 0;
        for (var p = 0; p < builders.Length; p++)
        {
            if (builders[p] is not { } builder) return null;
            read[p] = builder;
            triplets += builder.Triplets;
        }
        return triplets == 0 ? null : read;
    }

    /// <summary>
    /// Reads bytes [from, to) of the file as one part. A part that finds a line it cannot take stops the others, since
    /// the whole file then goes to the line reader; one stopped so gives null, as does the one that stopped it.
    /// </summary>
    private static DatasetBuilder? ReadRange(FileStream file, long from, long to, CancellationTokenSource stop, CancellationToken ct)
    {
        var position = from;
        var handle = file.SafeFileHandle;
        try
        {
            var builder = TryReadPart(span =>
            {
                var filled = 0;
                while (filled < span.Length && position < to)
                {
                    var got = RandomAccess.Read(handle, span[filled..(int)Math.Min(span.Length, filled + (to - position))], position);
                    if (got == 0) break;
                    filled += got;
                    position += got;
                }
                return filled;
            }, to - from, stop.Token);
            if (builder is null) stop.Cancel();
            return builder;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch
        {
            stop.Cancel();
            throw;
        }
    }

    /// <summary>
    /// Where the parts of [from, length) start, and length at the end: near each equal share, just past a line break.
    /// Fewer parts when a share has no line break within a chunk (a file of very long lines, or bare CR breaks).
    /// </summary>
    private static long[] PartStarts(FileStream file, long from, long length, int parts)
    {
        var starts = new List<long> { from };
        var probe = new byte[ChunkBytes];
        for (var p = 1; p < parts; p++)
        {
            var target = from + (length - from) * p / parts;
            if (target <= starts[^1]) continue;
            var read = RandomAccess.Read(file.SafeFileHandle, probe, target);
            var newline = probe.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0 && target + newline + 1 < length) starts.Add(target + newline + 1);
        }
        starts.Add(length);
        return [.. starts];
    }

    /// <summary>The builder holding one part's triplets (the whole input's, for a stream), or null when it needs the line reader.</summary>
    /// <param name="read">Fills as much of the span as the part has left; 0 at its end.</param>
    /// <param name="partBytes">The part's length, for sizing the builder's lists; −1 when unknown.</param>
    private static DatasetBuilder? TryReadPart(Func<Span<byte>, int> read, long partBytes, CancellationToken ct)
    {
        var builder = new DatasetBuilder();
        var buffer = new byte[ChunkBytes];
        var awaiting = new LinesAwaitingSlots(builder);
        var lastUser = new byte[256];
        var lastUserLength = -1;
        int filled = 0, start = 0;
        long lineNumber = 0;
        var atEnd = false;

        while (true)
        {
            var rest = buffer.AsSpan(start, filled - start);
            var lineStart = start;
            var cut = rest.IndexOfAny((byte)'\n', (byte)'\r');
            ReadOnlySpan<byte> line;
            if (cut < 0)
            {
                if (!atEnd)
                {
                    // The waiting lines' ids are read from the buffer, which is about to move.
                    if (!awaiting.Flush(buffer)) return null;
                    // Keep the partial line and fill the buffer behind it (grown when one line outgrows it).
                    if (start == 0 && filled == buffer.Length) Array.Resize(ref buffer, 2 * buffer.Length);
                    rest.CopyTo(buffer);
                    filled = rest.Length;
                    start = 0;
                    var got = read(buffer.AsSpan(filled));
                    if (got == 0) atEnd = true;
                    filled += got;
                    if (lineNumber == 0 && partBytes > 0 && filled > 0)
                    {
                        // The first chunk's lines tell how many the whole part holds, give or take a few per cent.
                        var lines = buffer.AsSpan(0, filled).Count((byte)'\n') + 1;
                        builder.Expect((long)(1.02 * lines * ((double)partBytes / filled)));
                    }
                    continue;
                }
                if (rest.IsEmpty) break;
                line = rest;
                start = filled;
            }
            else
            {
                line = rest[..cut];
                start += cut + 1;
                // CRLF is one break. Split across two reads it is two, and the empty line between them is skipped as
                // blank lines are; line numbers matter only to the line reader's messages, and this reader has none.
                if (rest[cut] == '\r' && start < filled && buffer[start] == '\n') start++;
            }

            lineNumber++;
            if (lineNumber % CancellationStride == 0) ct.ThrowIfCancellationRequested();
            if (Trim(line).IsEmpty) continue;

            var tab1 = line.IndexOf((byte)'\t');
            if (tab1 < 0) return null;
            var tab2 = line[(tab1 + 1)..].IndexOf((byte)'\t');
            if (tab2 < 0) return null;
            tab2 += tab1 + 1;
            var countText = line[(tab2 + 1)..];
            if (countText.Contains((byte)'\t')) return null;
            var (userStart, userLength) = Trimmed(line, 0, tab1);
            var (itemStart, itemLength) = Trimmed(line, tab1 + 1, tab2);
            countText = Trim(countText);
            if (userLength == 0 || itemLength == 0 || !TryParseCount(countText, out var count)) return null;
            if (count == 0) continue;

            // A file sorted by user names one user on many lines in a row: its slot is the line before's.
            var user = line.Slice(userStart, userLength);
            var sameUser = lastUserLength >= 0 && user.SequenceEqual(lastUser.AsSpan(0, lastUserLength));
            if (!sameUser)
            {
                if (lastUser.Length < user.Length) lastUser = new byte[2 * user.Length];
                user.CopyTo(lastUser);
                lastUserLength = user.Length;
            }
            if (!awaiting.Add(buffer, lineStart + userStart, sameUser ? -1 : userLength, lineStart + itemStart, itemLength, count)) return null;
        }
        return awaiting.Flush(buffer) ? builder : null;
    }

    /// <summary>A count the line reader would take as it stands: a finite number, ≥ 0, within float32's range.</summary>
    private static bool TryParseCount(ReadOnlySpan<byte> text, out double count)
    {
        if (text.Length is > 0 and <= ExactIntegerDigits)
        {
            long value = 0;
            var i = 0;
            for (; i < text.Length; i++)
            {
                var digit = (uint)(text[i] - '0');
                if (digit > 9) break;
                value = 10 * value + digit;
            }
            if (i == text.Length)
            {
                count = value;
                return true;
            }
        }
        // Decimals, exponents, signs: the same parser the line reader uses, over the bytes (ASCII is UTF-8).
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out count)) return false;
        return double.IsFinite(count) && count >= 0 && count <= float.MaxValue;
    }

    /// <summary>
    /// What <see cref="MemoryExtensions.Trim(ReadOnlySpan{char})"/> trims from ASCII text, tab to carriage return and
    /// space, is what <see cref="Ascii.Trim(ReadOnlySpan{byte})"/> trims.
    /// </summary>
    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text) => text[Ascii.Trim(text)];

    /// <summary>Where in <paramref name="line"/> the field [from, to) lies once trimmed.</summary>
    private static (int Start, int Length) Trimmed(ReadOnlySpan<byte> line, int from, int to)
    {
        var (offset, length) = Ascii.Trim(line[from..to]).GetOffsetAndLength(to - from);
        return (from + offset, length);
    }

    /// <summary>
    /// The last few lines read, whose ids are looked up <see cref="Ahead"/> lines after they were read, in the order they
    /// were read: meanwhile their entries of the builder's inline id tables are asked for, so that the lookups of
    /// consecutive lines wait for their cache misses together rather than one after another (most of the load's time
    /// at 48 million lines was those misses). The dataset is the same: every line's ids get the slots they would get at
    /// once, in the same order.
    /// </summary>
    private sealed class LinesAwaitingSlots(DatasetBuilder builder)
    {
        internal const int Ahead = 16;

        private struct Line
        {
            public int UserStart, UserLength, ItemStart, ItemLength;   // UserLength −1: the user of the line before
            public ShortIdTable.Key UserKey, ItemKey;
            public double Count;
        }

        private readonly Line[] _lines = new Line[Ahead];
        private char[] _chars = new char[256];
        private int _first, _count;
        private int _lastUserSlot = -1;

        /// <summary>Takes a line's ids (as places in <paramref name="buffer"/>) and count; false when an id is not ASCII.</summary>
        public bool Add(byte[] buffer, int userStart, int userLength, int itemStart, int itemLength, double count)
        {
            var userKey = userLength < 0 ? default : DatasetBuilder.KeyOf(buffer.AsSpan(userStart, userLength));
            var itemKey = DatasetBuilder.KeyOf(buffer.AsSpan(itemStart, itemLength));
            builder.Prefetch(userKey, itemKey);
            if (_count == Ahead && !Resolve(buffer)) return false;
            ref var line = ref _lines[(_first + _count) % Ahead];
            line = new Line
            {
                UserStart = userStart, UserLength = userLength, ItemStart = itemStart, ItemLength = itemLength,
                UserKey = userKey, ItemKey = itemKey, Count = count,
            };
            _count++;
            return true;
        }

        /// <summary>Looks up every waiting line; false when an id is not ASCII.</summary>
        public bool Flush(byte[] buffer)
        {
            while (_count > 0)
                if (!Resolve(buffer)) return false;
            return true;
        }

        private bool Resolve(byte[] buffer)
        {
            ref var line = ref _lines[_first];
            _first = (_first + 1) % Ahead;
            _count--;
            if (line.UserLength >= 0
                && !builder.TryUserSlot(buffer.AsSpan(line.UserStart, line.UserLength), line.UserKey, ref _chars, out _lastUserSlot))
                return false;
            if (!builder.TryItemSlot(buffer.AsSpan(line.ItemStart, line.ItemLength), line.ItemKey, ref _chars, out var item)) return false;
            builder.AddSlots(_lastUserSlot, item, line.Count);
            return true;
        }
    }
}
