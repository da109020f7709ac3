namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Ordinal equality for ids, hashed with the runtime's randomised string hash. A dictionary given
/// <see cref="StringComparer.Ordinal"/> swaps in a cheaper, non-randomised hash instead, and ids that differ only in a
/// few digits ("i151419", "i173761") land in long collision chains with it: hundreds of thousands of such ids made the
/// lookups most of the time a 48M-line file took to load. Also looks an id up by its text without making a string.
/// </summary>
internal sealed class IdTextComparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<char>, string>
{
    public static readonly IdTextComparer Instance = new();

    public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

    public int GetHashCode(string id) => string.GetHashCode(id.AsSpan());

    public bool Equals(ReadOnlySpan<char> alternate, string other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate);

    public string Create(ReadOnlySpan<char> alternate) => alternate.ToString();
}
