namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// A training set of (user, item, count) nonzeros. Dense indices follow the ordinal order of the ids,
/// so the same triplets in any line order give the same dataset, and so the same model.
/// </summary>
public sealed class Dataset
{
    public Dataset(string[] userIds, string[] itemIds, SparseRows byUser)
    {
        if (byUser.Rows != userIds.Length) throw new ArgumentException("byUser must have one row per user id");
        UserIds = userIds;
        ItemIds = itemIds;
        ByUser = byUser;
        ByItem = byUser.Transpose(itemIds.Length);
        double logFactorials = 0, total = 0;
        foreach (var y in byUser.Counts)
        {
            // Ratings (the Gaussian model) may be 0 or negative; log y! belongs to the Poisson likelihood only.
            if (y > 0) logFactorials += LogFactorial.Of(y);
            total += y;
        }
        SumLogFactorial = logFactorials;
        TotalCount = total;
    }

    /// <summary>User ids in ordinal order; a user's dense index is its position here.</summary>
    public string[] UserIds { get; }
    /// <summary>Item ids in ordinal order; an item's dense index is its position here.</summary>
    public string[] ItemIds { get; }
    /// <summary>CSR: each user's items.</summary>
    public SparseRows ByUser { get; }
    /// <summary>CSC: each item's users.</summary>
    public SparseRows ByItem { get; }

    public int Users => UserIds.Length;
    public int Items => ItemIds.Length;
    public int Nonzeros => ByUser.Nonzeros;

    /// <summary>Σ log y! over the nonzeros: a constant of the log-likelihood, computed once.</summary>
    public double SumLogFactorial { get; }
    public double TotalCount { get; }

    /// <summary>Writes the nonzeros as <c>user&lt;TAB&gt;item&lt;TAB&gt;count</c>, no header, in user then item order, one per line ending in '\n'.</summary>
    public void WriteTsv(TextWriter writer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> number = stackalloc char[32];
        for (var u = 0; u < Users; u++)
        {
            if ((u & 1023) == 0) ct.ThrowIfCancellationRequested();
            var items = ByUser.OthersOf(u);
            var counts = ByUser.CountsOf(u);
            var user = UserIds[u];
            for (var n = 0; n < items.Length; n++)
            {
                writer.Write(user);
                writer.Write('\t');
                writer.Write(ItemIds[items[n]]);
                writer.Write('\t');
                counts[n].TryFormat(number, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
                writer.Write(number[..written]);
                writer.Write('\n');
            }
        }
    }

    /// <summary>The dense index of a user id, or −1.</summary>
    public int IndexOfUser(string id) => IndexOf(UserIds, id);

    /// <summary>The dense index of an item id, or −1.</summary>
    public int IndexOfItem(string id) => IndexOf(ItemIds, id);

    private static int IndexOf(string[] sortedIds, string id)
    {
        var i = Array.BinarySearch(sortedIds, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }
}
