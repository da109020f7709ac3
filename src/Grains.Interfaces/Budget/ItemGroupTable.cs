namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The item → group map of a budget job (<c>hpf train --model budget --groups FILE</c>), as it travels with the job
/// to the coordinator and from there to every shard at the seal: item <c>Items[n]</c> belongs to group <c>Groups[n]</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.budget.ItemGroupTable")]
public sealed record ItemGroupTable(string[] Items, string[] Groups)
{
    /// <summary>Throws ArgumentOutOfRangeException naming the option, as <see cref="JobSpec.Validate"/> does, when the arrays do not pair up or are empty.</summary>
    public void Validate()
    {
        if (Items is null || Groups is null || Items.Length != Groups.Length)
            throw new ArgumentOutOfRangeException("groups", Items?.Length, "option '--groups' must give one group per item (items and groups of the same length)");
        if (Items.Length == 0) throw new ArgumentOutOfRangeException("groups", 0, "option '--groups' must map at least one item to its group");
        for (var n = 0; n < Items.Length; n++)
        {
            if (string.IsNullOrEmpty(Items[n]) || string.IsNullOrEmpty(Groups[n]))
                throw new ArgumentOutOfRangeException("groups", n, $"option '--groups' has an empty item or group id at position {n}");
        }
    }
}
