using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// Applies a <see cref="CountTransform"/> to counts. The one function both training paths call (the in-process trainer
/// on its dataset, each shard on its rows when sealed), so a job gives the same model wherever it trains.
/// </summary>
public static class CountTransforms
{
    /// <summary>The transformed count of a nonzero <paramref name="y"/>, in float32 as counts are stored.</summary>
    public static float Apply(CountTransform transform, float y) => transform switch
    {
        CountTransform.None => y,
        CountTransform.Log1p => (float)Math.Log(1.0 + y),
        CountTransform.Binary => 1f,
        _ => throw new ArgumentOutOfRangeException(nameof(transform), transform, "not a count transform"),
    };

    /// <summary>Transforms <paramref name="counts"/> in place.</summary>
    public static void ApplyInPlace(CountTransform transform, Span<float> counts)
    {
        if (transform == CountTransform.None) return;
        for (var n = 0; n < counts.Length; n++) counts[n] = Apply(transform, counts[n]);
    }

    /// <summary>The dataset with its counts transformed (the same one for <see cref="CountTransform.None"/>); ids and pattern unchanged.</summary>
    public static Dataset Apply(CountTransform transform, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (transform == CountTransform.None) return data;
        var rows = data.ByUser;
        var counts = rows.Counts.ToArray();
        ApplyInPlace(transform, counts);
        return new Dataset(data.UserIds, data.ItemIds, new SparseRows(rows.RowStart, rows.Other, counts));
    }

    /// <summary>The held-out set with its counts transformed (the same one for <see cref="CountTransform.None"/>).</summary>
    public static HeldOutSet? Apply(CountTransform transform, HeldOutSet? heldOut)
    {
        if (heldOut is null || transform == CountTransform.None) return heldOut;
        var counts = (float[])heldOut.Counts.Clone();
        ApplyInPlace(transform, counts);
        return new HeldOutSet(heldOut.Users, heldOut.Items, counts, heldOut.SkippedUnknownUser, heldOut.SkippedUnknownItem);
    }
}
