using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// A finished Gaussian job's model read out of its shards, page by page, rows in ordinal id order as the in-process
/// trainer orders them, with the hyperparameters the shards' final checkpoint was written with.
/// </summary>
public static class GaussianModelPull
{
    /// <summary>Rows a page: well inside a message at K up to a few hundred.</summary>
    private const int RowsPerPage = 256;

    /// <exception cref="InvalidOperationException">The shards hold no hyperparameters: the job has not finished or checkpointed.</exception>
    public static async Task<GaussianModel> ReadAsync(IGrainFactory grains, string job, TrainingOptions options, CancellationToken cancellationToken = default)
    {
        var shards = await grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken);
        var (users, hyperparameters) = await ReadSideAsync(shards.Users, "user", options.Factors, cancellationToken);
        var (items, _) = await ReadSideAsync(shards.Items, "item", options.Factors, cancellationToken);
        return new GaussianModel(options, users, items,
            hyperparameters ?? throw new InvalidOperationException($"job '{job}' has no finished Gaussian model in its shards"));
    }

    private static async Task<(GaussianRows Rows, GaussianHyperparameters? Hyperparameters)> ReadSideAsync(IShardGrain[] shards, string side, int factors, CancellationToken cancellationToken)
    {
        var d = factors + 1;
        var rows = new List<(string Id, double[] Mean, double[] Covariance)>();
        GaussianHyperparameters? hyperparameters = null;
        foreach (var shard in shards)
        {
            var start = 0;
            while (true)
            {
                var page = await shard.GaussianModelRows(start, RowsPerPage, cancellationToken);
                hyperparameters ??= page.Hyperparameters;
                for (var r = 0; r < page.Ids.Length; r++)
                    rows.Add((page.Ids[r], page.Mean[(r * d)..((r + 1) * d)], page.Covariance[(r * d * d)..((r + 1) * d * d)]));
                start += page.Ids.Length;
                if (page.Ids.Length == 0 || start >= page.TotalRows) break;
            }
        }
        rows.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var ids = new string[rows.Count];
        var mean = new double[rows.Count * d];
        var covariance = new double[rows.Count * d * d];
        for (var r = 0; r < rows.Count; r++)
        {
            ids[r] = rows[r].Id;
            rows[r].Mean.CopyTo(mean, r * d);
            rows[r].Covariance.CopyTo(covariance, r * d * d);
        }
        return (new GaussianRows(side, ids, factors, mean, covariance), hyperparameters);
    }
}
