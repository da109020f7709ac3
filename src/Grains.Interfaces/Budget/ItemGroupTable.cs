namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The item → group map of a budget job (<c>hpf train --model budget --groups FILE</c>), as it travels with the job
/// to the coordinator and from there to every shard at the seal: item <c>Items[n]</c> belongs to group <c>Groups[n]</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.budget.ItemGroupTable")]
public sealed record ItemGroupTable(string[] Items, string[] Groups)
{
    /// <summary>Throws ArgumentException when the arrays do not pair up or are empty.</summary>
    public void Validate()
    {
        if (Items is null || Groups is null || Items.Length != Groups.Length)
            throw new ArgumentException("the item → group map must give one group per item");
        if (Items.Length == 0) throw new ArgumentException("the item → group map is empty");
    }
}
