namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// One defect of an input file. <see cref="Line"/> is 1-based; 0 means the file as a whole (an empty file).
/// <see cref="Field"/> names the column as the format calls it ("user", "item", "count", "rating", "weight", …),
/// or "line" when the line cannot be split into its fields, or "file".
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.DataFormatError")]
public sealed record DataFormatError(string File, long Line, string Field, string Reason)
{
    /// <summary><c>file:line: reason</c>, the form compilers use, so editors can jump to the line.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Reason}" : $"{File}: {Reason}";
}
