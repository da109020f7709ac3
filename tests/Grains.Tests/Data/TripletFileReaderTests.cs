using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

public class TripletFileReaderTests
{
    private static Dataset ReadText(string text, string name, DatasetFormat format = DatasetFormat.Auto) =>
        TripletFileReader.Read(new StringReader(text), name, format);

    private static DataFormatException Refused(string text, string name, DatasetFormat format = DatasetFormat.Auto) =>
        Assert.Throws<DataFormatException>(() => ReadText(text, name, format));

    private static float CountOf(Dataset data, string user, string item)
    {
        var u = data.IndexOfUser(user);
        var i = data.IndexOfItem(item);
        Assert.True(u >= 0 && i >= 0, $"({user}, {item}) is not in the dataset");
        var items = data.ByUser.OthersOf(u);
        var counts = data.ByUser.CountsOf(u);
        for (var n = 0; n < items.Length; n++)
            if (items[n] == i) return counts[n];
        return 0;
    }

    [Fact]
    public void TsvTripletsAreReadWithIdsTrimmed()
    {
        var data = ReadText("alice\tx\t3\n bob \t y \t 1.5 \nalice\ty\t2\n", "ratings.tsv");
        Assert.Equal(["alice", "bob"], data.UserIds);
        Assert.Equal(["x", "y"], data.ItemIds);
        Assert.Equal(3, data.Nonzeros);
        Assert.Equal(3f, CountOf(data, "alice", "x"));
        Assert.Equal(1.5f, CountOf(data, "bob", "y"));
        Assert.Equal(6.5, data.TotalCount);
    }

    [Fact]
    public void DuplicatePairsAreSummedAndZerosDropped()
    {
        var data = ReadText("a\tx\t2\na\tx\t3\na\ty\t0\nb\ty\t1\n", "r.tsv");
        Assert.Equal(2, data.Nonzeros);
        Assert.Equal(5f, CountOf(data, "a", "x"));
        Assert.Equal(0f, CountOf(data, "a", "y"));

        var summary = TripletFileReader.ReadInto(new StringReader("a\tx\t2\na\tx\t3\na\ty\t0\nb\ty\t1\n"), "r.tsv", new DatasetBuilder());
        Assert.Equal(1, summary.ZeroCounts);
        Assert.Equal(4, summary.DataLines);
    }

    [Fact]
    public void ExponentAndNegativeZeroAreNumbers()
    {
        var data = ReadText("a\tx\t1e1\na\ty\t-0\nb\tx\t2.5E-1\n", "r.tsv");
        Assert.Equal(10f, CountOf(data, "a", "x"));
        Assert.Equal(0.25f, CountOf(data, "b", "x"));
        Assert.Equal(2, data.Nonzeros);
    }

    [Fact]
    public void AHeaderIsSkippedOnLineOneOnlyWhenOneIsExpected()
    {
        var summary = TripletFileReader.ReadInto(new StringReader("user\titem\tcount\na\tx\t1\n"), "r.tsv", new DatasetBuilder(), header: true);
        Assert.True(summary.HeaderSkipped);
        Assert.Equal(1, summary.DataLines);

        var csv = TripletFileReader.ReadInto(new StringReader("user,item,count\na,x,1\n"), "r.csv", new DatasetBuilder());
        Assert.True(csv.HeaderSkipped);

        var error = Refused("a\tx\t1\nuser\titem\tcount\n", "r.tsv");
        Assert.Equal("r.tsv:2: count 'count' is not a number", Assert.Single(error.Errors).ToString());
    }

    [Fact]
    public void ABadCountOnLineOneOfATsvIsAnErrorThatMentionsHeader()
    {
        var error = Refused("u1\ti1\tmany\nu2\ti2\t3\n", "r.tsv");
        var only = Assert.Single(error.Errors);
        Assert.Equal(1, only.Line);
        Assert.Equal("count", only.Field);
        Assert.StartsWith("r.tsv:1: count 'many' is not a number", only.ToString());
        Assert.Contains("--header", only.Reason);
    }

    [Fact]
    public void ANumericLineOneIsDataEvenWhenAHeaderIsExpected()
    {
        var data = TripletFileReader.Read(new StringReader("a,x,2\nb,y,3\n"), "r.csv");
        Assert.Equal(2, data.Nonzeros);
        var withFlag = TripletFileReader.ReadInto(new StringReader("a\tx\t2\nb\ty\t3\n"), "r.tsv", new DatasetBuilder(), header: true);
        Assert.False(withFlag.HeaderSkipped);
        Assert.Equal(2, withFlag.DataLines);
    }

    [Fact]
    public void AMovieLensLineOneWithANumericTimestampIsNotAHeader()
    {
        var error = Assert.Throws<DataFormatException>(() =>
            TripletFileReader.ReadInto(new StringReader("1\t10\tfive\t881250949\n2\t10\t3\t881250950\n"), "u.data", new DatasetBuilder(), header: true));
        Assert.Equal(1, Assert.Single(error.Errors).Line);
    }

    [Theory]
    [InlineData("a b 3\n", "r.tsv", "separated by spaces")]
    [InlineData("a,x,3\n", "r.tsv", "--format csv")]
    [InlineData("a\tx\t3\n", "r.csv", "--format tsv")]
    [InlineData("a\tx\t3\t99\n", "r.dat", "--format movielens")]
    public void LinesThatAllFailAlikeGetOneMessageNamingTheCause(string line, string name, string hint)
    {
        var text = string.Concat(Enumerable.Repeat(line, 40));
        var format = name == "r.dat" ? DatasetFormat.Tsv : DatasetFormat.Auto;
        var error = Refused(text, name, format);
        Assert.Equal(LineShapeTallyListed + 1, error.Errors.Count);
        Assert.Equal(41, error.TotalErrors);
        Assert.Equal(1, error.Errors[0].Line);
        Assert.Equal("file", error.Errors[^1].Field);
        Assert.Contains(hint, error.Errors[^1].Reason);
        Assert.Contains($"{name}: ", error.Errors[^1].ToString());
    }

    [Fact]
    public void ABinaryFileIsNamedAsOne()
    {
        var bytes = new byte[4000];
        new Random(3).NextBytes(bytes);
        bytes[10] = 0;
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var error = Refused(text, "model.bin");
        Assert.True(error.Errors.Count <= LineShapeTallyListed + 1);
        Assert.Contains("binary file", error.Errors[^1].Reason);
    }

    [Fact]
    public void ASingleBadLineAmongGoodOnesGetsNoCause()
    {
        var error = Refused("a\tx\t1\nb y 2\nc\tz\t3\n", "r.tsv");
        Assert.Equal("r.tsv:2: expected 3 fields (user, item, count), found 1", Assert.Single(error.Errors).ToString());
    }

    private const int LineShapeTallyListed = 5;

    [Fact]
    public void BlankLinesAreIgnoredAndLineNumbersStayPhysical()
    {
        var error = Refused("a\tx\t1\n\n   \nb\ty\tz\n", "r.tsv");
        var only = Assert.Single(error.Errors);
        Assert.Equal(4, only.Line);
        Assert.Equal("count", only.Field);
    }

    [Fact]
    public void DuplicatesThatSumBeyondFloat32AreRefusedNamingThePair()
    {
        var error = Refused("a\tx\t3e38\nb\tx\t1\na\tx\t3e38\n", "r.tsv", DatasetFormat.Tsv);
        var only = Assert.Single(error.Errors);
        Assert.Equal("r.tsv: the counts of user 'a' and item 'x' sum beyond the float32 range counts are stored in (3.4e38)", only.ToString());
    }

    [Theory]
    [InlineData("a\tx\tabc", "count", "r.tsv:2: count 'abc' is not a number")]
    [InlineData("a\tx\t-2", "count", "r.tsv:2: count -2 is negative")]
    [InlineData("a\tx\t1e39", "count", "r.tsv:2: count 1e39 is beyond the float32 range counts are stored in (3.4e38)")]
    [InlineData("a\tx\tNaN", "count", "r.tsv:2: count 'NaN' is not finite")]
    [InlineData("a\tx\tInfinity", "count", "r.tsv:2: count 'Infinity' is not finite")]
    [InlineData("a\tx\t-Infinity", "count", "r.tsv:2: count '-Infinity' is not finite")]
    [InlineData("a\tx\t1e400", "count", "r.tsv:2: count '1e400' is not finite")]
    [InlineData("a\tx\t1,5", "count", "r.tsv:2: count '1,5' is not a number")]
    [InlineData("a\tx\t ", "count", "r.tsv:2: count is empty")]
    [InlineData("a\tx", "line", "r.tsv:2: expected 3 fields (user, item, count), found 2")]
    [InlineData("a\tx\t1\t2\t3", "line", "r.tsv:2: expected 3 fields (user, item, count), found 5")]
    [InlineData("  \tx\t1", "user", "r.tsv:2: user id is empty")]
    [InlineData("a\t\t1", "item", "r.tsv:2: item id is empty")]
    public void EachBadTsvLineIsReportedWithFileLineAndField(string badLine, string field, string expected)
    {
        var error = Refused("ok\tx\t1\n" + badLine + "\nok\ty\t2\n", "r.tsv", DatasetFormat.Tsv);
        var only = Assert.Single(error.Errors);
        Assert.Equal(expected, only.ToString());
        Assert.Equal(field, only.Field);
        Assert.Equal("r.tsv", only.File);
        Assert.Equal(2, only.Line);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void EveryBadLineIsCollectedAndNoDatasetIsReturned()
    {
        var error = Refused("a\tx\t1\nb\tx\tabc\n\t\t-1\nc\ty\n", "r.tsv");
        Assert.Equal(5, error.TotalErrors);
        Assert.Equal(
            ["r.tsv:2: count 'abc' is not a number", "r.tsv:3: user id is empty", "r.tsv:3: item id is empty", "r.tsv:3: count -1 is negative",
             "r.tsv:4: expected 3 fields (user, item, count), found 2"],
            error.Errors.Select(e => e.ToString()).ToArray());
        Assert.StartsWith("r.tsv: 5 errors; no dataset was built\n", error.Message);
        foreach (var e in error.Errors) Assert.Contains(e.ToString(), error.Message);
    }

    [Fact]
    public void TheListOfErrorsIsCappedWithACountOfTheRest()
    {
        var text = new System.Text.StringBuilder();
        for (var n = 0; n < 250; n++) text.Append("u\ti\tbad\n");
        var error = Refused(text.ToString(), "many.tsv");
        // A TSV file has no header unless told: line 1 is bad too.
        Assert.Equal(250, error.TotalErrors);
        Assert.Equal(DataFormatException.MaxListed, error.Errors.Count);
        Assert.Equal(1, error.Errors[0].Line);
        Assert.EndsWith("and 150 more", error.Message);
        Assert.StartsWith("many.tsv: 250 errors", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    [InlineData("user,item,count\n")]
    public void AFileWithoutDataLinesIsAnError(string text)
    {
        var error = Refused(text, "empty.csv");
        var only = Assert.Single(error.Errors);
        Assert.Equal(0, only.Line);
        Assert.Equal("empty.csv: the file has no data lines", error.Message);
    }

    [Fact]
    public void AFileOfOnlyZerosIsRefused()
    {
        var error = Refused("a\tx\t0\nb\ty\t0\n", "zeros.tsv");
        Assert.Contains("all 2 counts are zero", error.Message);
    }

    [Fact]
    public void CsvWithHeaderAndQuotedFields()
    {
        var data = ReadText("user,item,count\n\"smith, j\",\"the \"\"best\"\" one\",4\nplain, \"x\" ,2\n", "plays.csv");
        Assert.Equal(["plain", "smith, j"], data.UserIds);
        Assert.Equal(4f, CountOf(data, "smith, j", "the \"best\" one"));
        Assert.Equal(2f, CountOf(data, "plain", "x"));
        Assert.Equal(4f, CountOf(ReadText("a,b,\"4\"\n", "q.csv"), "a", "b"));
    }

    [Theory]
    [InlineData("\"abc,x,1", "user", "p.csv:2: user field has an opening quote that is never closed")]
    [InlineData("a,\"x\"y,1", "item", "p.csv:2: item field has 'y' after its closing quote")]
    [InlineData("a,x\"y,1", "item", "p.csv:2: item field has a quote inside an unquoted value (quote the whole field and double the quote)")]
    [InlineData("a,x,1,\"", "field 4", "p.csv:2: field 4 has an opening quote that is never closed")]
    [InlineData("a,x", "line", "p.csv:2: expected 3 fields (user, item, count), found 2")]
    [InlineData("a,x,1,", "line", "p.csv:2: expected 3 fields (user, item, count), found 4")]
    [InlineData("a,x,\"-3\"", "count", "p.csv:2: count -3 is negative")]
    [InlineData("\"\",x,1", "user", "p.csv:2: user id is empty")]
    public void EachBadCsvLineIsReported(string badLine, string field, string expected)
    {
        var error = Refused("a,x,1\n" + badLine + "\n", "p.csv");
        var only = Assert.Single(error.Errors);
        Assert.Equal(expected, only.ToString());
        Assert.Equal(field, only.Field);
    }

    [Fact]
    public void MovieLensUsesTheRatingAsTheCountAndIgnoresTheTimestamp()
    {
        var data = ReadText("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n", "u.data");
        Assert.Equal(["186", "196"], data.UserIds);
        Assert.Equal(5f, CountOf(data, "196", "302"));
        Assert.Equal(11, data.TotalCount);

        var error = Refused("1\t2\t3\t4\n1\t2\t3\n", "u1.base");
        Assert.Equal("u1.base:2: expected 4 fields (user, item, rating, timestamp), found 3", Assert.Single(error.Errors).ToString());
        error = Refused("1\t2\t3\t4\n1\t2\tfive\t4\n", "u1.test");
        Assert.Equal("u1.test:2: rating 'five' is not a number", Assert.Single(error.Errors).ToString());
        Assert.Equal("rating", error.Errors[0].Field);
    }

    [Fact]
    public void LastFmSkipsItsHeaderAndNamesItsColumns()
    {
        var text = "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t228\n";
        var summary = TripletFileReader.ReadInto(new StringReader(text), "user_artists.dat", new DatasetBuilder());
        Assert.Equal(DatasetFormat.LastFm, summary.Format);
        Assert.True(summary.HeaderSkipped);
        var data = ReadText(text, "user_artists.dat");
        Assert.Equal(13883f, CountOf(data, "2", "51"));
        Assert.Equal(3, data.Nonzeros);

        var error = Refused("userID\tartistID\tweight\n2\t\t-4\n", "user_artists.dat");
        Assert.Equal(["user_artists.dat:2: artist id is empty", "user_artists.dat:2: weight -4 is negative"], error.Errors.Select(e => e.ToString()).ToArray());
    }

    [Theory]
    [InlineData("u.data", DatasetFormat.MovieLens)]
    [InlineData("data/U.DATA", DatasetFormat.MovieLens)]
    [InlineData("u3.base", DatasetFormat.MovieLens)]
    [InlineData("ua.test", DatasetFormat.MovieLens)]
    [InlineData("/x/user_artists.dat", DatasetFormat.LastFm)]
    [InlineData("plays.CSV", DatasetFormat.Csv)]
    [InlineData("ratings.tsv", DatasetFormat.Tsv)]
    [InlineData("ratings.txt", DatasetFormat.Tsv)]
    public void AutoPicksTheFormatFromTheName(string name, DatasetFormat expected) =>
        Assert.Equal(expected, TripletFileReader.FormatFromName(name));

    [Fact]
    public void AutoReadsAFourFieldTsvAsMovieLens()
    {
        var summary = TripletFileReader.ReadInto(new StringReader("1\t10\t4\t100\n2\t10\t5\t101\n"), "ratings.txt", new DatasetBuilder());
        Assert.Equal(DatasetFormat.MovieLens, summary.Format);
        // Named explicitly, a four-field line is not a TSV triplet.
        var error = Refused("1\t10\t4\t100\n", "ratings.txt", DatasetFormat.Tsv);
        Assert.Equal("ratings.txt:1: expected 3 fields (user, item, count), found 4", error.Errors[0].ToString());
    }

    [Fact]
    public void FilesOnDiskAreDetectedAndNamedByTheirPath()
    {
        using var dir = new TempDirectory();
        var tsv = dir.Write("ratings.tsv", "a\tx\t2\nb\tx\t1\n");
        var csv = dir.Write("ratings.csv", "a,x,2\nb,x,1\n");
        var movieLens = dir.Write("u.data", "a\tx\t2\t0\nb\tx\t1\t0\n");
        var lastFm = dir.Write("user_artists.dat", "userID\tartistID\tweight\na\tx\t2\nb\tx\t1\n");
        foreach (var path in new[] { tsv, csv, movieLens, lastFm })
        {
            var data = TripletFileReader.Read(path);
            Assert.Equal(["a", "b"], data.UserIds);
            Assert.Equal(3, data.TotalCount);
        }
        var bad = dir.Write("bad.tsv", "a\tx\t2\nb\tx\tlots\n");
        var error = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(bad));
        Assert.Equal($"{bad}:2: count 'lots' is not a number", error.Message);
    }

    [Fact]
    public void AByteOrderMarkDoesNotBecomePartOfTheFirstId()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "bom.tsv");
        File.WriteAllText(path, "a\tx\t1\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(["a"], TripletFileReader.Read(path).UserIds);
        Assert.Equal(["a"], ReadText("\uFEFFa\tx\t1\n", "s.tsv").UserIds);
    }

    [Fact]
    public void LineOrderDoesNotChangeTheDataset()
    {
        var one = ReadText("b\ty\t1\na\tx\t2\na\ty\t3\n", "r.tsv");
        var two = ReadText("a\ty\t3\nb\ty\t1\na\tx\t2\n", "r.tsv");
        Assert.Equal(one.UserIds, two.UserIds);
        Assert.Equal(one.ItemIds, two.ItemIds);
        Assert.Equal(one.ByUser.Other, two.ByUser.Other);
        Assert.Equal(one.ByUser.Counts, two.ByUser.Counts);
    }

    [Fact]
    public void CancellationStopsALongRead()
    {
        var text = new System.Text.StringBuilder();
        for (var n = 0; n < 10_000; n++) text.Append("u\ti\t1\n");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => TripletFileReader.Read(new StringReader(text.ToString()), "big.tsv", ct: cts.Token));
    }
}
