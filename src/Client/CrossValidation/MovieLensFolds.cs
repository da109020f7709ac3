using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>
/// MovieLens 100k's own five folds: <c>u1.base</c>/<c>u1.test</c> … <c>u5.base</c>/<c>u5.test</c> in a directory (the
/// u.data layout), read with the engine's reader, so a bad line is reported as <c>file:line: reason</c>.
/// </summary>
internal static class MovieLensFolds
{
    public const int Count = 5;

    /// <param name="ratings">Read the third column as ratings (the Gaussian model): kept as they are, duplicates averaged.</param>
    public static IReadOnlyList<CrossValidationFold> Read(string directory, DatasetFormat format, CancellationToken cancellationToken, bool ratings = false)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"directory not found: {directory}");
        var folds = new CrossValidationFold[Count];
        for (var f = 1; f <= Count; f++)
        {
            var train = Path.Combine(directory, $"u{f}.base");
            var test = Path.Combine(directory, $"u{f}.test");
            foreach (var path in new[] { train, test })
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"{path} (--ml-folds needs u1.base/u1.test … u5.base/u5.test)", path);
            }
            folds[f - 1] = new CrossValidationFold(f, TripletFileReader.Read(train, format, cancellationToken, ratings: ratings),
                TripletFileReader.Read(test, format, cancellationToken, ratings: ratings));
        }
        return folds;
    }
}
