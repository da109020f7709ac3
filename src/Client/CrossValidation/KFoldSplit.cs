using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>
/// K folds of a dataset's nonzeros: a seeded shuffle of the nonzeros in the dataset's canonical order (users, then
/// their items, both in ordinal id order), nonzero at shuffled position p in fold p mod K. So the folds differ in size
/// by at most one, each nonzero is in exactly one test set, and the split depends only on the data and the seed (not
/// on the order of the file's lines). A fold's training set is every other fold.
/// </summary>
internal static class KFoldSplit
{
    public static IReadOnlyList<CrossValidationFold> Of(Dataset data, int folds, ulong seed, CancellationToken cancellationToken)
    {
        var n = data.Nonzeros;
        if (folds < 2) throw new CommandException(ExitCodes.BadOption, $"option '--folds' must be ≥ 2, got {folds}");
        if (folds > n) throw new CommandException(ExitCodes.BadOption, $"option '--folds' {folds} is more than the {n} nonzeros of the data: some test set would be empty");

        var order = new int[n];
        for (var t = 0; t < n; t++) order[t] = t;
        var random = new SplitMix64(seed);
        for (var t = n - 1; t > 0; t--)
        {
            // An unbiased index in [0, t]: the high half of a 64 × 64-bit product.
            var j = (int)(((UInt128)random.Next() * (ulong)(t + 1)) >> 64);
            (order[t], order[j]) = (order[j], order[t]);
        }
        var foldOf = new int[n];
        for (var p = 0; p < n; p++) foldOf[order[p]] = p % folds;

        var result = new CrossValidationFold[folds];
        for (var f = 0; f < folds; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var train = new DatasetBuilder();
            var test = new DatasetBuilder();
            var rows = data.ByUser;
            for (var u = 0; u < data.Users; u++)
            {
                for (var t = rows.RowStart[u]; t < rows.RowStart[u + 1]; t++)
                    (foldOf[t] == f ? test : train).Add(data.UserIds[u], data.ItemIds[rows.Other[t]], rows.Counts[t]);
            }
            result[f] = new CrossValidationFold(f + 1, train.Build(), test.Build());
        }
        return result;
    }

    /// <summary>Steele, Lea and Flood's SplitMix64: a small, well-mixed stream from one 64-bit seed.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
