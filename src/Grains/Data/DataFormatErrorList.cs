namespace Hpf.Cluster.Grains.Data;

/// <summary>Keeps the first <see cref="DataFormatException.MaxListed"/> errors of one file and counts the rest.</summary>
internal sealed class DataFormatErrorList(string file)
{
    private readonly List<DataFormatError> _kept = new();

    public long Total { get; private set; }

    /// <summary>Records an error; returns true so that a call site can mark its line bad in the same expression.</summary>
    public bool Add(long line, string field, string reason)
    {
        Total++;
        if (_kept.Count < DataFormatException.MaxListed) _kept.Add(new DataFormatError(file, line, field, reason));
        return true;
    }

    /// <summary>Keeps only the first <paramref name="listed"/> errors and adds <paramref name="cause"/> as one error of the whole file: all lines failed alike.</summary>
    public void Summarise(int listed, string cause)
    {
        if (_kept.Count > listed) _kept.RemoveRange(listed, _kept.Count - listed);
        _kept.Add(new DataFormatError(file, 0, "file", cause));
        Total++;
    }

    public void ThrowIfAny()
    {
        if (Total > 0) throw new DataFormatException(_kept, Total);
    }
}
