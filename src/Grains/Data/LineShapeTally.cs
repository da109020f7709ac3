namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Watches how lines fail to split, so that a file whose every line fails alike gets one message naming the likely
/// cause (binary data, another separator, the wrong format) instead of the same error a hundred times.
/// </summary>
internal sealed class LineShapeTally
{
    /// <summary>Lines listed before the cause when the cause is named: enough to see the pattern.</summary>
    public const int Listed = 5;

    private int _failedFieldCount = int.MinValue;   // the field count every failed line had; -1: a CSV quoting error; MaxValue: differing
    private long _failed;
    private long _parsed;
    private bool _binary;
    private string? _sample;

    /// <summary>A bad line, with the fields it split into (−1: a CSV quoting error).</summary>
    public void Failed(ReadOnlySpan<char> line, int fieldCount)
    {
        _failed++;
        _sample ??= line.Length > 200 ? line[..200].ToString() : line.ToString();
        if (!_binary && LooksBinary(line)) _binary = true;
        if (_failedFieldCount == int.MinValue) _failedFieldCount = fieldCount;
        else if (_failedFieldCount != fieldCount) _failedFieldCount = int.MaxValue;
    }

    public void Parsed() => _parsed++;

    /// <summary>The cause when no line split and more than <see cref="Listed"/> failed (or the file is binary); else null.</summary>
    public string? LikelyCause(DatasetFormat resolved, DatasetFormat asked, TripletLayout layout)
    {
        if (_parsed > 0 || _failed == 0) return null;
        if (_binary) return "this looks like a binary file (it has NUL or control bytes), not a text file of triplets";
        var expected = layout.Names.Length;
        // Lines that split into the right fields failed on a value: their own messages say which.
        if (_failed <= Listed || _failedFieldCount == int.MaxValue || _failedFieldCount == expected || _sample is null) return null;
        var formatWord = resolved.ToString().ToLowerInvariant();
        var chosen = asked == DatasetFormat.Auto ? $"read as {formatWord} (from the file name)" : $"read as --format {formatWord}";
        var sample = _sample.AsSpan();
        if (resolved != DatasetFormat.Csv && sample.Count(',') + 1 == expected)
            return $"no line has {expected} tab-separated fields, but they have {expected} comma-separated ones: the file is CSV; {chosen}, give --format csv";
        if (resolved == DatasetFormat.Csv && sample.Count('\t') + 1 is 3 or 4)
            return $"no line has {expected} comma-separated fields, but they have tab-separated ones: {chosen}, give --format tsv (or movielens for u.data)";
        if (sample.Count('\t') == 0 && SpaceSeparatedFields(sample) == expected)
            return $"no line has tabs: the fields are separated by spaces; {chosen}, which needs tabs between fields (convert with: tr -s ' ' '\\t' < FILE)";
        if (resolved != DatasetFormat.Csv && _failedFieldCount == 4 && expected == 3)
            return $"every line has 4 tab-separated fields: {chosen}, but this looks like MovieLens u.data (user, item, rating, timestamp); give --format movielens";
        if (_failedFieldCount >= 0)
            return $"every line has {_failedFieldCount} field(s) where {chosen} needs {expected} {layout.Description}; check --format and the separator";
        return null;
    }

    private static int SpaceSeparatedFields(ReadOnlySpan<char> line)
    {
        var fields = 0;
        var inField = false;
        foreach (var c in line)
        {
            var blank = c == ' ';
            if (!blank && !inField) fields++;
            inField = !blank;
        }
        return fields;
    }

    private static bool LooksBinary(ReadOnlySpan<char> line)
    {
        var control = 0;
        foreach (var c in line)
        {
            if (c == '\0') return true;
            if ((c < ' ' && c != '\t') || c == '\uFFFD') control++;
        }
        return control > 0 && control * 10 >= line.Length;
    }
}
