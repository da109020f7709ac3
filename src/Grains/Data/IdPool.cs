namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// One string per distinct id, looked up by span: a file of millions of lines names the same few thousand
/// users and items over and over, and this keeps the reader from allocating a new string for each mention.
/// </summary>
internal sealed class IdPool
{
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public IdPool() => _bySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<char> id)
    {
        if (_bySpan.TryGetValue(id, out var known)) return known;
        var created = id.ToString();
        _ids.Add(created, created);
        return created;
    }
}
