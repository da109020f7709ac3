namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// The fields of one input line, copied into a reused buffer so that a file of millions of lines allocates
/// nothing per field (CSV unquoting has to rewrite doubled quotes, so fields cannot always be slices of the line).
/// </summary>
internal sealed class LineFields
{
    private char[] _chars = new char[256];
    private int[] _start = new int[8];
    private int[] _length = new int[8];
    private int _used;

    public int Count { get; private set; }

    public ReadOnlySpan<char> this[int field] => _chars.AsSpan(_start[field], _length[field]);

    /// <summary>Splits on every <paramref name="separator"/>; no quoting (TSV, MovieLens, Last.fm).</summary>
    public void SplitPlain(ReadOnlySpan<char> line, char separator)
    {
        Reset(line.Length);
        while (true)
        {
            var end = line.IndexOf(separator);
            if (end < 0)
            {
                Append(line);
                return;
            }
            Append(line[..end]);
            line = line[(end + 1)..];
        }
    }

    /// <summary>
    /// Splits one CSV line with RFC-4180 quoting: a field may be wrapped in quotes (blanks around them are allowed),
    /// and a quote inside a quoted field is written twice. A quoted field cannot span lines.
    /// Returns null, or the index of the field that is badly quoted and what is wrong with it.
    /// </summary>
    public (int Field, string Problem)? SplitCsv(ReadOnlySpan<char> line)
    {
        Reset(line.Length);
        var pos = 0;
        while (true)
        {
            var field = Count;
            var lead = pos;
            while (lead < line.Length && IsBlank(line[lead])) lead++;
            if (lead < line.Length && line[lead] == '"')
            {
                var start = _used;
                var i = lead + 1;
                while (true)
                {
                    var quote = line[i..].IndexOf('"');
                    if (quote < 0) return (field, "has an opening quote that is never closed");
                    AppendChars(line.Slice(i, quote));
                    i += quote + 1;
                    if (i < line.Length && line[i] == '"')
                    {
                        AppendChars("\"");
                        i++;
                        continue;
                    }
                    break;
                }
                EndField(start);
                while (i < line.Length && IsBlank(line[i])) i++;
                if (i == line.Length) return null;
                if (line[i] != ',') return (field, $"has '{line[i]}' after its closing quote");
                pos = i + 1;
            }
            else
            {
                var rest = line[pos..];
                var end = rest.IndexOf(',');
                var value = end < 0 ? rest : rest[..end];
                if (value.Contains('"')) return (field, "has a quote inside an unquoted value (quote the whole field and double the quote)");
                Append(value);
                if (end < 0) return null;
                pos += end + 1;
            }
        }
    }

    private static bool IsBlank(char c) => c == ' ' || c == '\t';

    private void Reset(int lineLength)
    {
        if (_chars.Length < lineLength) _chars = new char[Math.Max(lineLength, 2 * _chars.Length)];
        _used = 0;
        Count = 0;
    }

    private void Append(ReadOnlySpan<char> value)
    {
        var start = _used;
        AppendChars(value);
        EndField(start);
    }

    private void AppendChars(ReadOnlySpan<char> value)
    {
        value.CopyTo(_chars.AsSpan(_used));
        _used += value.Length;
    }

    private void EndField(int start)
    {
        if (Count == _start.Length)
        {
            Array.Resize(ref _start, 2 * Count);
            Array.Resize(ref _length, 2 * Count);
        }
        _start[Count] = start;
        _length[Count] = _used - start;
        Count++;
    }
}
