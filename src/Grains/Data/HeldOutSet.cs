namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Held-out (user, item, count) nonzeros mapped onto a training set's dense indices: a validation
/// set for the val-llk stop, or a test set for evaluation. Rows whose user or item the training set
/// does not know cannot be scored; they are counted and left out.
/// </summary>
public sealed class HeldOutSet
{
    /// <summary>Nonzeros already mapped: <paramref name="users"/> and <paramref name="items"/> index the rows the scorer is given.</summary>
    public HeldOutSet(int[] users, int[] items, float[] counts, int unknownUsers, int unknownItems)
    {
        if (items.Length != users.Length || counts.Length != users.Length) throw new ArgumentException("users, items and counts need one element per nonzero");
        Users = users;
        Items = items;
        Counts = counts;
        SkippedUnknownUser = unknownUsers;
        SkippedUnknownItem = unknownItems;
        double logFactorials = 0;
        foreach (var y in counts) logFactorials += LogFactorial.Of(y);
        SumLogFactorial = logFactorials;
    }

    public int[] Users { get; }
    public int[] Items { get; }
    public float[] Counts { get; }
    public int Count => Users.Length;
    /// <summary>Rows left out because the user is not in the training set (whatever the item).</summary>
    public int SkippedUnknownUser { get; }
    /// <summary>Rows left out because the item is not in the training set (user known).</summary>
    public int SkippedUnknownItem { get; }
    public double SumLogFactorial { get; }

    /// <summary>Maps a held-out dataset (duplicates already summed, zeros dropped) onto <paramref name="train"/>'s indices.</summary>
    public static HeldOutSet Map(Dataset heldOut, Dataset train)
    {
        var users = new List<int>(heldOut.Nonzeros);
        var items = new List<int>(heldOut.Nonzeros);
        var counts = new List<float>(heldOut.Nonzeros);
        int unknownUsers = 0, unknownItems = 0;
        var itemIndex = new int[heldOut.Items];
        for (var i = 0; i < heldOut.Items; i++) itemIndex[i] = train.IndexOfItem(heldOut.ItemIds[i]);
        for (var r = 0; r < heldOut.Users; r++)
        {
            var u = train.IndexOfUser(heldOut.UserIds[r]);
            var others = heldOut.ByUser.OthersOf(r);
            var ys = heldOut.ByUser.CountsOf(r);
            if (u < 0)
            {
                unknownUsers += others.Length;
                continue;
            }
            for (var n = 0; n < others.Length; n++)
            {
                var i = itemIndex[others[n]];
                if (i < 0)
                {
                    unknownItems++;
                    continue;
                }
                users.Add(u);
                items.Add(i);
                counts.Add(ys[n]);
            }
        }
        return new HeldOutSet(users.ToArray(), items.ToArray(), counts.ToArray(), unknownUsers, unknownItems);
    }
}
