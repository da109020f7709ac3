using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Cluster.Tests;

internal static class ClusterJobData
{
    /// <summary>The set plus a row of an unknown user and a row of a known user with an unknown item.</summary>
    public static Dataset WithStrangers(Dataset data)
    {
        var builder = new DatasetBuilder();
        for (var u = 0; u < data.Users; u++)
        {
            var others = data.ByUser.OthersOf(u);
            var counts = data.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++) builder.Add(data.UserIds[u], data.ItemIds[others[n]], counts[n]);
        }
        builder.Add("a-stranger", data.ItemIds[0], 2);
        builder.Add(data.UserIds[0], "an-unheard-of-item", 3);
        return builder.Build();
    }
}
