namespace Hpf.Cluster.Runtime.Membership;

/// <summary>A row as read, with the etag a conditional update of it must present.</summary>
public sealed record MembershipRow(MembershipEntry Entry, string ETag);

/// <summary>Rows of one cluster read in one transaction, with the table version they were read at.</summary>
public sealed record MembershipTableSnapshot(IReadOnlyList<MembershipRow> Rows, TableVersion Version)
{
    public MembershipRow? Find(SiloAddress address)
    {
        foreach (var row in Rows)
            if (row.Entry.SiloAddress.Equals(address))
                return row;
        return null;
    }
}
