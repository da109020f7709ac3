using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

/// <summary>
/// A TSV file on disk is read as bytes when it is plainly well formed; these check that the dataset, or the error, is
/// the one the line-by-line reader gives for the same text, and which files the byte reader takes at all.
/// </summary>
public class WellFormedTsvReaderTests
{
    /// <summary>Reads <paramref name="text"/> from a file (byte reader where it applies) and from a string (line reader) and compares.</summary>
    private static Dataset SameAsLineReader(string text, string name = "r.tsv", bool header = false)
    {
        using var dir = new TempDirectory();
        var path = dir.Write(name, text);
        var fromFile = TripletFileReader.Read(path, header: header);
        var fromLines = TripletFileReader.Read(new StringReader(text), name, header: header);
        AssertSame(fromLines, fromFile);
        return fromFile;
    }

    private static void AssertSame(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.UserIds, actual.UserIds);
        Assert.Equal(expected.ItemIds, actual.ItemIds);
        Assert.Equal(expected.ByUser.RowStart, actual.ByUser.RowStart);
        Assert.Equal(expected.ByUser.Other, actual.ByUser.Other);
        Assert.Equal(expected.ByUser.Counts, actual.ByUser.Counts);
        Assert.Equal(expected.ByItem.Other, actual.ByItem.Other);
        Assert.Equal(expected.ByItem.Counts, actual.ByItem.Counts);
    }

    private static bool TakenAsBytes(string text)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return WellFormedTsvReader.TryRead(stream, CancellationToken.None) is not null;
    }

    [Theory]
    [InlineData("10\t7\t3\n2\t7\t1\n10\t1\t2\n")]                       // numeric ids, ordered as text ("10" < "2")
    [InlineData("alice\tx\t3\nbob\ty\t1.5\nalice\ty\t2\n")]               // words and a decimal
    [InlineData("a\tx\t1\r\nb\ty\t2\r\nc\tx\t3\r\n")]                     // CRLF
    [InlineData("a\tx\t1\rb\ty\t2\rc\tx\t3")]                             // bare CR, no final break
    [InlineData(" a \t x\t 4 \nb\ty\t2\v\f\n")]                           // spaces and other blanks around fields
    [InlineData("a\tx\t2\na\tx\t3\na\ty\t0\nb\ty\t1\na\tx\t0.25\n")]      // duplicates summed, a zero dropped
    [InlineData("\n  \na\tx\t1e1\n\t\nb\ty\t2.5E-1\na\tz\t-0\n")]         // blank lines, exponents, negative zero
    [InlineData("a\tx\t1234567890123456789\nb\tx\t0007\n")]                // past the exact-integer digits, leading zeros
    public void WellFormedFilesGiveTheLineReadersDataset(string text)
    {
        Assert.True(TakenAsBytes(text));
        SameAsLineReader(text);
    }

    [Theory]
    [InlineData("user\titem\tcount\na\tx\t1\n", true)]          // a header, expected
    [InlineData("1\t10\t4\t100\n2\t10\t5\t101\n", false)]        // MovieLens by its four fields
    [InlineData("é\tx\t1\nb\tx\t2\n", false)]                    // a UTF-8 id
    [InlineData("\uFEFFa\tx\t1\n", false)]                       // a byte order mark
    [InlineData("a\tx\t+3\nb\tx\t2\n", false)]                   // a sign is still a number
    public void OtherFilesAreLeftToTheLineReaderWithTheSameResult(string text, bool header)
    {
        if (text.Contains('é') || text.Contains('\uFEFF') || text.Contains("100")) Assert.False(TakenAsBytes(text));
        SameAsLineReader(text, header: header);
    }

    [Theory]
    [InlineData("a\tx\t2\nb\tx\tlots\n", ":2: count 'lots' is not a number")]
    [InlineData("u1\ti1\tmany\nu2\ti2\t3\n", ":1: count 'many' is not a number (if line 1 is a header")]
    [InlineData("a\tx\t2\n\ty\t1\n", ":2: user id is empty")]
    [InlineData("a\tx\t2\nb\tx\t-1\n", ":2: count -1 is negative")]
    [InlineData("a\tx\t2\nb\tx\t1e39\n", ":2: count 1e39 is beyond the float32 range")]
    [InlineData("a\tx\t2\nb\tx\n", ":2: expected 3 fields (user, item, count), found 2")]
    [InlineData("a\tx\t0\n", ": all 1 counts are zero")]
    [InlineData("a\tx\t3e38\na\tx\t3e38\n", ": the counts of user 'a' and item 'x' sum beyond")]
    public void ErrorsAreWordedAsTheLineReaderWordsThem(string text, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("r.tsv", text);
        var fromFile = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(path));
        var fromLines = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(new StringReader(text), path));
        Assert.Equal(fromLines.Message, fromFile.Message);
        Assert.StartsWith(path + expected, fromFile.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatedFailuresKeepTheLineReadersHint()
    {
        var text = "a,x,1\n" + string.Concat(Enumerable.Repeat("b,y,2\n", 30));
        using var dir = new TempDirectory();
        var path = dir.Write("commas.tsv", text);
        var fromFile = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(path));
        var fromLines = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(new StringReader(text), path));
        Assert.Equal(fromLines.Message, fromFile.Message);
    }

    /// <summary>Thousands of ids on both sides of the inline id table's 16 bytes, so that it grows and probes past collisions.</summary>
    [Fact]
    public void ManyShortAndLongIdsKeepTheirSlots()
    {
        var text = new StringBuilder();
        for (var n = 0; n < 20_000; n++)
        {
            var user = (n * 7919 % 3001).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(n % 20 + 1, '0');
            var item = "i" + (n * 104729 % 5003).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(n % 19 + 1, '7');
            text.Append(user).Append('\t').Append(item).Append('\t').Append(n % 7).Append('\n');
        }
        Assert.True(TakenAsBytes(text.ToString()));
        var data = SameAsLineReader(text.ToString());
        Assert.Contains(data.UserIds, id => id.Length == 16);
        Assert.Contains(data.UserIds, id => id.Length == 17);
    }

    /// <summary>
    /// Users on runs of lines (the slot of the line before), some coming back later, short and long, over more than one
    /// read chunk, so that the lines waiting for their ids' slots are flushed before the buffer moves, in the middle of a run.
    /// </summary>
    [Fact]
    public void UsersOnRunsOfLinesKeepTheirSlotsAcrossChunks()
    {
        var text = new StringBuilder();
        for (var n = 0; text.Length < 2 * WellFormedTsvReader.ChunkBytes + 5000; n++)
        {
            var user = "user" + (n * 37 % 1201).ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(n % 3 == 0 ? 20 : 6, 'q');
            for (var j = 0; j < n % 41 + 1; j++)
                text.Append(user).Append('\t').Append("item").Append((n * 13 + j * 101) % 2999).Append('\t').Append(j % 4).Append('\n');
        }
        Assert.True(TakenAsBytes(text.ToString()));
        var data = SameAsLineReader(text.ToString());
        Assert.Contains(data.UserIds, id => id.Length == 24);
    }

    /// <summary>A file's text, as a file on disk read by the byte reader in <paramref name="parts"/> parts.</summary>
    private static DatasetBuilder[]? ReadInParts(TempDirectory dir, string text, int parts, CancellationToken ct = default)
    {
        var path = dir.Write($"parts{parts}.tsv", text);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        return WellFormedTsvReader.TryRead(stream, ct, parts);
    }

    /// <summary>
    /// Lines in no order (users and items in every part, a pair's duplicates in different parts, CRLF and blank lines
    /// near the cuts): read in parts side by side, the line reader's dataset, with as many parts as asked for.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void AFileReadInPartsGivesTheLineReadersDataset(int parts)
    {
        var random = new Random(31);
        var text = new StringBuilder();
        for (var n = 0; n < 30_000; n++)
        {
            var user = "u" + random.Next(2_000).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(n % 23 + 1, '0');
            text.Append(user).Append('\t').Append('i').Append(random.Next(700)).Append('\t').Append(random.Next(4)).Append(n % 5 == 0 ? "\r\n" : "\n");
            if (n % 997 == 0) text.Append("\n \n");
        }
        using var dir = new TempDirectory();
        var builders = ReadInParts(dir, text.ToString(), parts);
        Assert.NotNull(builders);
        Assert.Equal(parts, builders.Length);
        Assert.All(builders, b => Assert.True(b.Triplets > 0));
        AssertSame(TripletFileReader.Read(new StringReader(text.ToString()), "r.tsv"), DatasetBuilder.Build(builders));
    }

    /// <summary>A line the byte reader cannot take in the last part: every part gives up and the file goes to the line reader.</summary>
    [Fact]
    public void ALineNotPlainlyRightInALaterPartLeavesTheFileToTheLineReader()
    {
        var text = new StringBuilder();
        for (var n = 0; n < 20_000; n++) text.Append("u").Append(n % 300).Append("\ti").Append(n % 77).Append("\t1\n");
        text.Append("u1\tcafé\t2\n");
        using var dir = new TempDirectory();
        var path = dir.Write("bad.tsv", text.ToString());
        // Opened as TripletFileReader opens it: after the parts' reads at their offsets, the stream still reads from its start.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Assert.Null(WellFormedTsvReader.TryRead(stream, CancellationToken.None, parts: 3));
        stream.Position = 0;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        Assert.Equal(text.ToString(), reader.ReadToEnd());
    }

    [Fact]
    public void ACancelledReadInPartsThrowsRatherThanGivingUp()
    {
        var text = new StringBuilder();
        for (var n = 0; n < 40_000; n++) text.Append("u").Append(n % 300).Append("\ti").Append(n % 77).Append("\t1\n");
        using var dir = new TempDirectory();
        Assert.ThrowsAny<OperationCanceledException>(() => ReadInParts(dir, text.ToString(), 2, new CancellationToken(canceled: true)));
    }

    /// <summary>An id that is not ASCII found only when its line's slots are looked up, lines after it was read.</summary>
    [Fact]
    public void AnIdThatIsNotAsciiPartWayLeavesTheFileToTheLineReader()
    {
        var text = new StringBuilder();
        for (var n = 0; n < 200; n++) text.Append("u").Append(n % 7).Append("\ti").Append(n).Append("\t1\n");
        text.Append("u1\tcafé\t2\n");
        for (var n = 0; n < 5; n++) text.Append("u").Append(n).Append("\tx\t3\n");
        Assert.False(TakenAsBytes(text.ToString()));
        SameAsLineReader(text.ToString());
    }

    /// <summary>Lines cut by the end of a read chunk, CRLF split between two chunks, and a line longer than a chunk.</summary>
    [Fact]
    public void LinesAcrossChunkEdgesAreReadWhole()
    {
        var text = new StringBuilder();
        var n = 0;
        // Fill the first chunk so that it ends on "\r" and the next starts with its "\n".
        while (text.Length < WellFormedTsvReader.ChunkBytes - 40) text.Append($"user{n % 997}\titem{n++ % 331}\t{n % 7 + 1}\r\n");
        text.Append('u').Append('x', WellFormedTsvReader.ChunkBytes - text.Length - "\tlast\t2\r".Length).Append("\tlast\t2\r\n");
        Assert.Equal(WellFormedTsvReader.ChunkBytes, text.ToString().IndexOf("\r\n", WellFormedTsvReader.ChunkBytes - 2, StringComparison.Ordinal) + 1);
        // A line cut in the middle of its count, and one id longer than a whole chunk.
        while (text.Length < 2 * WellFormedTsvReader.ChunkBytes + 3) text.Append($"user{n % 997}\titem{n++ % 331}\t{n % 7 + 1}.5\n");
        text.Append(new string('L', 3 * WellFormedTsvReader.ChunkBytes)).Append("\tx\t9\n").Append("z\tx\t1");
        var data = SameAsLineReader(text.ToString());
        Assert.Contains(data.UserIds, id => id.StartsWith("uxx", StringComparison.Ordinal));
        Assert.True(TakenAsBytes(text.ToString()));
    }

    /// <summary>
    /// A named pipe (as <c>&lt;(zcat ratings.tsv.gz)</c> gives) cannot go back to its start, so the byte reader, which
    /// may give up part way, does not read it: the line reader does, with its header rule and its messages.
    /// </summary>
    [Theory]
    [InlineData("user\titem\tcount\na\tx\t1\n", true)]
    [InlineData("a\tx\t2\nb\ty\t1\n", false)]
    public async Task APipeIsReadLineByLine(string text, bool header)
    {
        using var dir = new TempDirectory();
        var fifo = Path.Combine(dir.Path, "ratings.tsv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        // Opening a pipe to write waits for its reader, so the writer runs beside the read.
        var writer = Task.Run(() => File.WriteAllText(fifo, text));
        var fromPipe = TripletFileReader.Read(fifo, header: header);
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        AssertSame(TripletFileReader.Read(new StringReader(text), "ratings.tsv", header: header), fromPipe);
    }
}
